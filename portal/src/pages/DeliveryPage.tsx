import { useEffect, useRef, useState } from 'preact/hooks';
import { getDelivery, getEndpoint, isAbortError, retryDelivery, type Attempt, type DeliveryDetail } from '../api';
import { AttemptItem } from '../components/AttemptItem';
import { attemptSucceeded, DeliveryStatusBadge } from '../components/Badge';
import { ExplainPanel } from '../components/ExplainPanel';
import { ErrorNotice, Loading, Status } from '../components/Notice';
import { RelTime } from '../components/RelTime';
import { useSession } from '../context';
import { useResource, useTitle } from '../hooks';
import { href } from '../router';
import { Url } from '../components/Url';

const POLL_MS = 1000;
const POLL_FOR_MS = 15_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new DOMException('aborted', 'AbortError'));
    }, { once: true });
  });
}

function outcome(attempt: Attempt): string {
  const parts = [attempt.responseStatus === null ? 'no response' : `HTTP ${attempt.responseStatus}`];
  if (attempt.error) parts.push(attempt.error);
  return `${attemptSucceeded(attempt) ? 'succeeded' : 'failed'} (${parts.join(', ')})`;
}

export function DeliveryPage({ deliveryId }: { deliveryId: string }) {
  useTitle('Delivery');
  const { readOnly } = useSession();
  const delivery = useResource((signal) => getDelivery(deliveryId, signal), [deliveryId]);
  const d = delivery.data;
  const endpoint = useResource((signal) => (d ? getEndpoint(d.endpointId, signal) : Promise.resolve(null)), [d?.endpointId]);
  const [explaining, setExplaining] = useState(false);
  const [retry, setRetry] = useState<{ busy: boolean; message: string; error: unknown }>({ busy: false, message: '', error: null });
  const poll = useRef<AbortController | null>(null);
  const explainButton = useRef<HTMLButtonElement>(null);

  useEffect(() => () => poll.current?.abort(), []);

  async function onRetry(current: DeliveryDetail) {
    poll.current?.abort();
    const controller = new AbortController();
    poll.current = controller;
    const seen = new Set(current.attempts.map((attempt) => attempt.id));
    setRetry({ busy: true, message: 'Retry requested; waiting for the attempt…', error: null });
    try {
      await retryDelivery(current.id);
      const deadline = Date.now() + POLL_FOR_MS;
      while (Date.now() < deadline) {
        await sleep(POLL_MS, controller.signal);
        const next = await getDelivery(current.id, controller.signal);
        delivery.setData(next);
        const fresh = next.attempts.find((attempt) => !seen.has(attempt.id));
        if (fresh) {
          setRetry({ busy: false, message: `Attempt ${fresh.number} ${outcome(fresh)}.`, error: null });
          return;
        }
      }
      setRetry({ busy: false, message: 'No new attempt after 15 seconds. It may still be queued (for example behind an open circuit); reload the page later.', error: null });
    } catch (error) {
      if (!isAbortError(error)) setRetry({ busy: false, message: '', error });
    }
  }

  function closeExplain() {
    setExplaining(false);
    requestAnimationFrame(() => explainButton.current?.focus());
  }

  const attempts = d ? [...d.attempts].sort((a, b) => b.number - a.number || b.startedAt.localeCompare(a.startedAt)) : [];
  const failing = d ? d.status === 'failed' || d.attempts.some((attempt) => !attemptSucceeded(attempt)) : false;

  return (
    <>
      <p class="crumbs">
        <a href="#/events">Event log</a>
        {d && (
          <>
            {' › '}
            <a href={href(`/events/${d.eventId}`)}>Event</a>
          </>
        )}
      </p>
      <h1 tabIndex={-1} class="break">
        {d ? `Delivery of ${d.eventType}` : 'Delivery'}
      </h1>
      {delivery.loading && !d && <Loading label="Loading the delivery…" />}
      <ErrorNotice error={delivery.error} onRetry={delivery.reload} />
      {d && (
        <>
          <dl class="facts">
            <div>
              <dt>Status</dt>
              <dd>
                <DeliveryStatusBadge status={d.status} />
              </dd>
            </div>
            <div>
              <dt>Endpoint</dt>
              <dd class="break">
                <a href={href(`/endpoints/${d.endpointId}`)}>{endpoint.data ? <Url url={endpoint.data.url} /> : d.endpointId}</a>
              </dd>
            </div>
            <div>
              <dt>Event</dt>
              <dd>
                <a href={href(`/events/${d.eventId}`)}>
                  <code>{d.eventId}</code>
                </a>
              </dd>
            </div>
            <div>
              <dt>Attempts</dt>
              <dd>{d.attemptCount}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>
                <RelTime iso={d.createdAt} />
              </dd>
            </div>
            <div>
              <dt>Last attempt</dt>
              <dd>
                <RelTime iso={d.lastAttemptAt} fallback="none yet" />
              </dd>
            </div>
            {d.status === 'pending' && (
              <div>
                <dt>Next attempt</dt>
                <dd>
                  <RelTime iso={d.nextAttemptAt} fallback="not scheduled" />
                </dd>
              </div>
            )}
            <div>
              <dt>Id</dt>
              <dd>
                <code>{d.id}</code>
              </dd>
            </div>
          </dl>

          <div class="button-row">
            {!readOnly && (
              <button type="button" class="button-primary" data-testid="delivery-retry" disabled={retry.busy} onClick={() => void onRetry(d)}>
                {retry.busy ? 'Retrying…' : 'Retry now'}
              </button>
            )}
            {failing && (
              <button
                type="button"
                ref={explainButton}
                data-testid="explain-open"
                aria-expanded={explaining}
                aria-controls={explaining ? 'explain-panel' : undefined}
                onClick={() => (explaining ? closeExplain() : setExplaining(true))}
              >
                Why is this failing?
              </button>
            )}
          </div>
          <ErrorNotice error={retry.error} />
          <Status testId="retry-status">{retry.message}</Status>

          {explaining && (
            <div id="explain-panel">
              <ExplainPanel deliveryId={d.id} onClose={closeExplain} />
            </div>
          )}

          <section class="section" aria-labelledby="attempts-title">
            <h2 id="attempts-title">Attempts</h2>
            {attempts.length === 0 ? (
              <p class="empty">No attempt yet.</p>
            ) : (
              <>
                <p class="muted">Newest first.</p>
                <ol class="timeline" reversed>
                  {attempts.map((attempt, index) => (
                    <AttemptItem key={attempt.id} attempt={attempt} open={index === 0} />
                  ))}
                </ol>
              </>
            )}
          </section>
        </>
      )}
    </>
  );
}
