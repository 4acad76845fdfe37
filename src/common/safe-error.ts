/**
 * Error serializer for logs. PostgreSQL errors carry `detail`, `where` and sometimes the
 * failing row (which can hold an endpoint secret or event data): only the type, code,
 * message and stack are kept.
 */
export function safeError(error: unknown): Record<string, unknown> {
  if (typeof error === 'string') return { message: error.slice(0, 500) };
  if (typeof error !== 'object' || error === null) return { message: 'non-error thrown' };
  const { code, message, stack, type } = error as { code?: unknown; message?: unknown; stack?: unknown; type?: unknown };
  return {
    type: typeof type === 'string' ? type : error.constructor?.name,
    message: typeof message === 'string' ? message.slice(0, 500) : undefined,
    ...(typeof code === 'string' ? { code } : {}),
    stack: typeof stack === 'string' ? stack.split('\n').slice(1, 8).join('\n') : undefined,
  };
}
