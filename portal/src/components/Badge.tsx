import type { Attempt, DeliveryStatus, Endpoint } from '../api';
import { useNow } from '../hooks';
import { RelTime } from './RelTime';

type Tone = 'ok' | 'bad' | 'warn' | 'neutral';

// Colour only reinforces the word and the glyph: each badge reads the same in greyscale.
const GLYPH: Record<Tone, string> = { ok: '✓', bad: '✕', warn: '◷', neutral: '•' };

export function Badge({ tone, children }: { tone: Tone; children: string }) {
  return (
    <span class={`badge badge-${tone}`}>
      <span aria-hidden="true">{GLYPH[tone]} </span>
      {children}
    </span>
  );
}

const DELIVERY_TONE: Record<DeliveryStatus, Tone> = {
  pending: 'warn',
  succeeded: 'ok',
  failed: 'bad',
  cancelled: 'neutral',
};

export function DeliveryStatusBadge({ status }: { status: DeliveryStatus }) {
  return <Badge tone={DELIVERY_TONE[status]}>{status}</Badge>;
}

const DISABLED_REASON: Record<string, string> = {
  manual: 'disabled',
  gone: 'disabled: 410 Gone',
  failing: 'disabled: kept failing',
};

export function EnabledBadge({ endpoint }: { endpoint: Endpoint }) {
  if (endpoint.enabled) return <Badge tone="ok">enabled</Badge>;
  const reason = endpoint.disabledReason ? DISABLED_REASON[endpoint.disabledReason] : undefined;
  return <Badge tone={endpoint.disabledReason === 'manual' ? 'neutral' : 'bad'}>{reason ?? 'disabled'}</Badge>;
}

export function CircuitBadge({ endpoint }: { endpoint: Endpoint }) {
  const now = useNow();
  const { state, nextProbeAt } = endpoint.circuit;
  if (state === 'closed') return <Badge tone="ok">circuit closed</Badge>;
  const probeDue = nextProbeAt !== null && Date.parse(nextProbeAt) <= now;
  return (
    <span class="badge-group">
      <Badge tone={state === 'open' ? 'bad' : 'warn'}>{`circuit ${state}`}</Badge>
      {state === 'open' && nextProbeAt && (
        <span class="muted">
          {' '}
          {probeDue ? (
            'probe due now'
          ) : (
            <>
              next probe <RelTime iso={nextProbeAt} />
            </>
          )}
        </span>
      )}
    </span>
  );
}

export function attemptSucceeded(attempt: Attempt): boolean {
  return attempt.error === null && attempt.responseStatus !== null && attempt.responseStatus >= 200 && attempt.responseStatus < 300;
}

export function AttemptOutcomeBadge({ attempt }: { attempt: Attempt }) {
  const ok = attemptSucceeded(attempt);
  const parts: string[] = [];
  if (attempt.responseStatus !== null) parts.push(`HTTP ${attempt.responseStatus}`);
  if (attempt.error) parts.push(attempt.error);
  if (parts.length === 0) parts.push('no response');
  return <Badge tone={ok ? 'ok' : 'bad'}>{parts.join(' · ')}</Badge>;
}
