import type { ComponentChildren } from 'preact';
import { HttpError } from '../api';

export function errorMessage(error: unknown): string {
  if (error instanceof HttpError) return error.message;
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function ErrorNotice({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null;
  const notFound = error instanceof HttpError && error.status === 404;
  return (
    <div class="notice notice-error" role="alert">
      <p>{notFound ? 'Not found: it may have been deleted, or the id is wrong.' : errorMessage(error)}</p>
      {onRetry && !notFound && (
        <button type="button" class="button-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/**
 * A polite live region that is always in the DOM, so screen readers announce what is put in it
 * (a region inserted together with its text is often not announced).
 */
export function Status({ children, testId }: { children?: ComponentChildren; testId?: string }) {
  return (
    <div class="status" role="status" aria-live="polite" data-testid={testId}>
      {children}
    </div>
  );
}
