import { getEndpoint } from '../api';
import { CircuitBadge, EnabledBadge } from '../components/Badge';
import { EndpointActions } from '../components/EndpointActions';
import { EndpointHealth } from '../components/EndpointHealth';
import { ErrorNotice, Loading } from '../components/Notice';
import { RecoverForm } from '../components/RecoverForm';
import { RelTime } from '../components/RelTime';
import { SecretPanel } from '../components/SecretPanel';
import { StatsCharts } from '../components/StatsCharts';
import { useSession } from '../context';
import { useResource, useTitle } from '../hooks';
import { href, navigate } from '../router';
import { eventFilter } from './EndpointsPage';
import { Url } from '../components/Url';

export function EndpointDetailPage({ endpointId }: { endpointId: string }) {
  useTitle('Endpoint');
  const { readOnly } = useSession();
  const endpoint = useResource((signal) => getEndpoint(endpointId, signal), [endpointId]);
  const ep = endpoint.data;
  const headerNames = Object.keys(ep?.headers ?? {});

  return (
    <>
      <p class="crumbs">
        <a href="#/endpoints">Endpoints</a>
      </p>
      <h1 tabIndex={-1} class="break">
        {ep ? <Url url={ep.url} /> : 'Endpoint'}
      </h1>
      {endpoint.loading && !ep && <Loading label="Loading the endpoint…" />}
      <ErrorNotice error={endpoint.error} onRetry={endpoint.reload} />
      {ep && (
        <>
          <dl class="facts">
            <div>
              <dt>Description</dt>
              <dd>{ep.description || <span class="muted">none</span>}</dd>
            </div>
            <div>
              <dt>Events</dt>
              <dd>{eventFilter(ep.eventTypes)}</dd>
            </div>
            <div>
              <dt>State</dt>
              <dd>
                <EnabledBadge endpoint={ep} />
              </dd>
            </div>
            <div>
              <dt>Circuit</dt>
              <dd>
                <CircuitBadge endpoint={ep} />
                {ep.circuit.openedAt && ep.circuit.state !== 'closed' && (
                  <span class="muted">
                    {' '}
                    opened <RelTime iso={ep.circuit.openedAt} />
                  </span>
                )}
              </dd>
            </div>
            <div>
              <dt>Health (24 h)</dt>
              <dd>
                <EndpointHealth endpointId={ep.id} />
              </dd>
            </div>
            <div>
              <dt>Signature</dt>
              <dd>{ep.signatureScheme}</dd>
            </div>
            <div>
              <dt>Summaries</dt>
              <dd>{ep.summaries ? 'included' : 'not included'}</dd>
            </div>
            <div>
              <dt>Rate limit</dt>
              <dd>{ep.rateLimitPerSecond === null ? 'unlimited' : `${ep.rateLimitPerSecond} per second`}</dd>
            </div>
            <div>
              <dt>Max in flight</dt>
              <dd>{ep.maxInFlight}</dd>
            </div>
            <div>
              <dt>Extra headers</dt>
              <dd class="break">{headerNames.length ? headerNames.join(', ') : <span class="muted">none</span>}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>
                <RelTime iso={ep.createdAt} />
              </dd>
            </div>
            <div>
              <dt>Id</dt>
              <dd>
                <code>{ep.id}</code>
              </dd>
            </div>
          </dl>
          <p>
            <a href={href('/events', { endpointId: ep.id })}>Deliveries to this endpoint</a>
            {' · '}
            <a href={href('/events', { endpointId: ep.id, status: 'failed' })}>Failed deliveries</a>
          </p>
          <EndpointActions endpoint={ep} onChanged={endpoint.setData} onDeleted={() => navigate('/endpoints')} />
          <StatsCharts endpointId={ep.id} />
          <SecretPanel endpointId={ep.id} />
          {!readOnly && <RecoverForm endpoint={ep} />}
        </>
      )}
    </>
  );
}
