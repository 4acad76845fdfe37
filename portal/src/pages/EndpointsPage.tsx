import { listAllEndpoints, type Endpoint } from '../api';
import { CircuitBadge, EnabledBadge } from '../components/Badge';
import { EndpointActions } from '../components/EndpointActions';
import { EndpointHealth } from '../components/EndpointHealth';
import { ErrorNotice, Loading } from '../components/Notice';
import { useSession } from '../context';
import { useResource, useTitle } from '../hooks';
import { href } from '../router';
import { openRowLink } from '../row-link';
import { Url } from '../components/Url';

export function EndpointsPage() {
  useTitle('Endpoints');
  const { readOnly } = useSession();
  const endpoints = useResource((signal) => listAllEndpoints(signal), []);
  const list = endpoints.data;

  function replace(updated: Endpoint) {
    if (list) endpoints.setData(list.map((item) => (item.id === updated.id ? updated : item)));
  }

  return (
    <>
      <div class="page-head">
        <h1 tabIndex={-1}>Endpoints</h1>
        {!readOnly && (
          <a class="button button-primary" href="#/endpoints/new" data-testid="endpoint-create">
            Add endpoint
          </a>
        )}
      </div>
      {endpoints.loading && !list && <Loading label="Loading endpoints…" />}
      <ErrorNotice error={endpoints.error} onRetry={endpoints.reload} />
      {list && list.length === 0 && (
        <p class="empty">No endpoints yet. {readOnly ? '' : 'Add one to start receiving webhooks.'}</p>
      )}
      {list && list.length > 0 && (
        <table class="table">
          <caption class="visually-hidden">Endpoints; health is the share of attempts that succeeded in the last 24 hours</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Description</th>
              <th scope="col">Events</th>
              <th scope="col">State</th>
              <th scope="col">Health (24 h)</th>
              {!readOnly && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {list.map((endpoint) => (
              <tr key={endpoint.id} data-testid="endpoint-row" data-id={endpoint.id} class="row-link" onClick={openRowLink}>
                <td data-label="URL">
                  <a class="strong" href={href(`/endpoints/${endpoint.id}`)}>
                    <Url url={endpoint.url} />
                  </a>
                </td>
                <td data-label="Description">{endpoint.description || <span class="muted">—</span>}</td>
                <td data-label="Events">{eventFilter(endpoint.eventTypes)}</td>
                <td data-label="State">
                  <div class="stack">
                    <EnabledBadge endpoint={endpoint} />
                    <CircuitBadge endpoint={endpoint} />
                  </div>
                </td>
                <td data-label="Health (24 h)">
                  <EndpointHealth endpointId={endpoint.id} />
                </td>
                {!readOnly && (
                  <td data-label="Actions">
                    <EndpointActions endpoint={endpoint} onChanged={replace} onDeleted={() => endpoints.reload()} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function eventFilter(eventTypes: string[]): string {
  return eventTypes.length === 0 ? 'all events' : eventTypes.join(', ');
}
