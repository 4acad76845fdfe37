import { getEvent } from '../api';
import { DeliveryTable } from '../components/DeliveryTable';
import { ErrorNotice, Loading } from '../components/Notice';
import { RelTime } from '../components/RelTime';
import { plural } from '../format';
import { useEndpointIndex, useResource, useTitle } from '../hooks';
import { href } from '../router';

export function EventPage({ eventId }: { eventId: string }) {
  useTitle('Event');
  const event = useResource((signal) => getEvent(eventId, signal), [eventId]);
  const endpoints = useEndpointIndex();
  const ev = event.data;

  return (
    <>
      <p class="crumbs">
        <a href="#/events">Event log</a>
      </p>
      <h1 tabIndex={-1} class="break">
        {ev ? ev.type : 'Event'}
      </h1>
      {event.loading && !ev && <Loading label="Loading the event…" />}
      <ErrorNotice error={event.error} onRetry={event.reload} />
      {ev && (
        <>
          <dl class="facts">
            <div>
              <dt>Id</dt>
              <dd>
                <code>{ev.id}</code>
              </dd>
            </div>
            <div>
              <dt>Published</dt>
              <dd>
                <RelTime iso={ev.createdAt} />
              </dd>
            </div>
            <div>
              <dt>Deliveries</dt>
              <dd>{ev.deliveryCount}</dd>
            </div>
          </dl>

          <section class="section" aria-labelledby="summary-title">
            <h2 id="summary-title">Summary</h2>
            {ev.summary ? (
              <>
                <p class="summary-text">{ev.summary.text}</p>
                <p class="muted">{ev.summary.source === 'llm' ? `Written by a model${ev.summary.model ? ` (${ev.summary.model})` : ''}.` : 'Made offline from the event’s fields, without a model.'}</p>
              </>
            ) : (
              <p class="muted">No summary.</p>
            )}
          </section>

          <section class="section" aria-labelledby="data-title">
            <h2 id="data-title">Data</h2>
            {ev.expired || ev.data === undefined || ev.data === null ? (
              <p class="muted">The payload was deleted after the retention period.</p>
            ) : (
              <pre class="code" tabIndex={0} aria-label="Event data as JSON">
                {JSON.stringify(ev.data, null, 2)}
              </pre>
            )}
          </section>

          <section class="section" aria-labelledby="deliveries-title">
            <h2 id="deliveries-title">Deliveries</h2>
            {ev.deliveries.length === 0 ? (
              <p class="empty">No endpoint was subscribed to this event type, so nothing was sent.</p>
            ) : (
              <DeliveryTable deliveries={ev.deliveries} endpoints={endpoints} caption={`Deliveries of event ${ev.id}`} />
            )}
            {ev.deliveryCount > ev.deliveries.length && (
              <p>
                Showing the first {ev.deliveries.length} of {plural(ev.deliveryCount, 'delivery', 'deliveries')}.{' '}
                <a href={href('/events', { eventId: ev.id })}>See them all in the log</a>
              </p>
            )}
          </section>
        </>
      )}
    </>
  );
}
