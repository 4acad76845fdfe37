import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { listDeliveries, listEvents, type Delivery, type DeliveryStatus, type Endpoint, type Event } from '../api';
import { DeliveryTable } from '../components/DeliveryTable';
import { ErrorNotice, Loading, Status } from '../components/Notice';
import { RelTime } from '../components/RelTime';
import { isoToLocalInput, localInputToIso, plural } from '../format';
import { useEndpointIndex, usePaged, useTitle, type Paged } from '../hooks';
import { href, navigate } from '../router';
import { openRowLink } from '../row-link';

const STATUSES: DeliveryStatus[] = ['pending', 'succeeded', 'failed', 'cancelled'];
const PAGE_SIZE = 25;

interface Filters {
  type: string;
  status: string;
  endpointId: string;
  eventId: string;
  since: string;
  until: string;
}

const FILTER_KEYS: (keyof Filters)[] = ['type', 'status', 'endpointId', 'eventId', 'since', 'until'];

function readFilters(query: URLSearchParams): Filters {
  const filters = {} as Filters;
  for (const key of FILTER_KEYS) filters[key] = query.get(key) ?? '';
  if (!STATUSES.includes(filters.status as DeliveryStatus)) filters.status = '';
  return filters;
}

export function EventLogPage({ query }: { query: URLSearchParams }) {
  useTitle('Event log');
  const filters = readFilters(query);
  const key = JSON.stringify(filters);
  const endpoints = useEndpointIndex();
  // Status, endpoint and event are properties of deliveries, not of events.
  const listsDeliveries = Boolean(filters.status || filters.endpointId || filters.eventId);
  const filtered = FILTER_KEYS.some((name) => filters[name]);

  return (
    <>
      <h1 tabIndex={-1}>Event log</h1>
      <SearchById />
      <FilterForm filters={filters} endpoints={endpoints} key={key} />
      <p class="muted result-kind">
        {listsDeliveries ? 'Showing deliveries, newest first.' : 'Showing events, newest first. Filter by status or endpoint to list deliveries.'}
        {filtered && (
          <>
            {' '}
            <a href="#/events">Clear the filters</a>
          </>
        )}
      </p>
      {listsDeliveries ? <DeliveryList filters={filters} endpoints={endpoints} key={key} /> : <EventList filters={filters} key={key} />}
    </>
  );
}

function SearchById() {
  const [value, setValue] = useState('');
  const [error, setError] = useState('');

  function onSubmit(event: SubmitEvent) {
    event.preventDefault();
    const id = value.trim();
    if (/^evt_\S+$/.test(id)) navigate(`/events/${id}`);
    else if (/^dlv_\S+$/.test(id)) navigate(`/deliveries/${id}`);
    else if (/^ep_\S+$/.test(id)) navigate(`/endpoints/${id}`);
    else setError('Enter an event id (evt_…) or a delivery id (dlv_…).');
  }

  return (
    <form class="search" role="search" onSubmit={onSubmit} noValidate>
      <label for="search-id">Go to an event or delivery by id</label>
      <div class="search-row">
        <input
          id="search-id"
          type="search"
          data-testid="search-input"
          placeholder="evt_… or dlv_…"
          spellcheck={false}
          autoComplete="off"
          value={value}
          onInput={(e) => {
            setValue(e.currentTarget.value);
            setError('');
          }}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'search-error' : undefined}
        />
        <button type="submit">Go</button>
      </div>
      {error && (
        <p class="field-error" id="search-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function FilterForm({ filters, endpoints }: { filters: Filters; endpoints: Map<string, Endpoint> | undefined }) {
  const [form, setForm] = useState(() => ({ ...filters, since: isoToLocalInput(filters.since || null), until: isoToLocalInput(filters.until || null) }));
  const set = (name: keyof Filters, value: string) => setForm((current) => ({ ...current, [name]: value }));

  function onSubmit(event: SubmitEvent) {
    event.preventDefault();
    navigate('/events', {
      type: form.type.trim(),
      status: form.status,
      endpointId: form.endpointId,
      eventId: form.eventId,
      since: localInputToIso(form.since),
      until: localInputToIso(form.until),
    });
  }

  const endpointList = endpoints ? [...endpoints.values()] : [];
  return (
    <form class="filters" onSubmit={onSubmit} aria-label="Filters" noValidate>
      <div class="field">
        <label for="filter-type">Event type</label>
        <input id="filter-type" type="text" spellcheck={false} placeholder="e.g. invoice.paid" value={form.type} onInput={(e) => set('type', e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="filter-status">Delivery status</label>
        <select id="filter-status" value={form.status} onChange={(e) => set('status', e.currentTarget.value)}>
          <option value="">Any</option>
          {STATUSES.map((status) => (
            <option key={status} value={status}>
              {status}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="filter-endpoint">Endpoint</label>
        <select id="filter-endpoint" value={form.endpointId} onChange={(e) => set('endpointId', e.currentTarget.value)}>
          <option value="">Any</option>
          {form.endpointId && !endpoints?.has(form.endpointId) && <option value={form.endpointId}>{form.endpointId}</option>}
          {endpointList.map((endpoint) => (
            <option key={endpoint.id} value={endpoint.id}>
              {endpoint.description ? `${endpoint.description} (${endpoint.url})` : endpoint.url}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="filter-since">From (local time)</label>
        <input id="filter-since" type="datetime-local" value={form.since} onInput={(e) => set('since', e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="filter-until">To (local time)</label>
        <input id="filter-until" type="datetime-local" value={form.until} onInput={(e) => set('until', e.currentTarget.value)} />
      </div>
      {form.eventId && (
        <p class="filter-note">
          Deliveries of event <code>{form.eventId}</code>{' '}
          <button type="button" class="button-small" onClick={() => set('eventId', '')}>
            Remove
          </button>
        </p>
      )}
      <div class="button-row filters-buttons">
        <button type="submit" class="button-primary">
          Apply filters
        </button>
      </div>
    </form>
  );
}

function EventList({ filters }: { filters: Filters }) {
  const list = usePaged<Event>(
    (cursor, signal) => listEvents({ type: filters.type, since: filters.since, until: filters.until, limit: PAGE_SIZE, cursor }, signal),
    JSON.stringify(filters),
  );
  return (
    <PagedResults list={list} noun="event">
      {list.items.length > 0 && (
        <table class="table">
          <caption class="visually-hidden">Events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Summary</th>
              <th scope="col">Published</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((event) => (
              <tr key={event.id} data-testid="event-row" data-id={event.id} class="row-link" onClick={openRowLink}>
                <td data-label="Type">
                  <a class="strong" href={href(`/events/${event.id}`)}>
                    {event.type}
                  </a>
                  <div class="muted mono">{event.id}</div>
                </td>
                <td data-label="Summary">{event.expired ? <span class="muted">payload expired</span> : (event.summary?.text ?? <span class="muted">—</span>)}</td>
                <td data-label="Published">
                  <RelTime iso={event.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </PagedResults>
  );
}

function DeliveryList({ filters, endpoints }: { filters: Filters; endpoints: Map<string, Endpoint> | undefined }) {
  const list = usePaged<Delivery>(
    (cursor, signal) =>
      listDeliveries(
        {
          eventType: filters.type,
          status: (filters.status || undefined) as DeliveryStatus | undefined,
          endpointId: filters.endpointId,
          eventId: filters.eventId,
          since: filters.since,
          until: filters.until,
          limit: PAGE_SIZE,
          cursor,
        },
        signal,
      ),
    JSON.stringify(filters),
  );
  return (
    <PagedResults list={list} noun="delivery" nouns="deliveries">
      {list.items.length > 0 && <DeliveryTable deliveries={list.items} endpoints={endpoints} caption="Deliveries, newest first" />}
    </PagedResults>
  );
}

function PagedResults<T>({ list, noun, nouns, children }: { list: Paged<T>; noun: string; nouns?: string; children: ComponentChildren }) {
  const [announced, setAnnounced] = useState('');
  useEffect(() => {
    if (!list.loading && !list.error) setAnnounced(list.items.length ? `${plural(list.items.length, noun, nouns)} shown.` : '');
  }, [list.loading, list.items.length]);
  return (
    <div class="results">
      {children}
      {!list.loading && !list.error && list.items.length === 0 && (
        // A page reads a bounded part of the log: an empty one with a cursor has only searched so far.
        <p class="empty">{list.hasMore ? `No ${nouns ?? `${noun}s`} match in the part of the log searched so far.` : `No ${nouns ?? `${noun}s`} match.`}</p>
      )}
      {list.loading && <Loading />}
      <ErrorNotice error={list.error} onRetry={list.reload} />
      {list.hasMore && !list.loading && (
        <button type="button" class="load-more" onClick={list.loadMore}>
          {list.items.length === 0 ? 'Search further back' : 'Load more'}
        </button>
      )}
      <Status>{announced}</Status>
    </div>
  );
}
