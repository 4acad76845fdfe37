import { getEndpoint } from '../api';
import { EndpointForm } from '../components/EndpointForm';
import { ErrorNotice, Loading } from '../components/Notice';
import { useSession } from '../context';
import { useResource, useTitle } from '../hooks';
import { href, navigate } from '../router';

export function EndpointEditPage({ endpointId }: { endpointId?: string }) {
  const title = endpointId ? 'Edit endpoint' : 'Add an endpoint';
  useTitle(title);
  const { readOnly } = useSession();
  const endpoint = useResource((signal) => (endpointId ? getEndpoint(endpointId, signal) : Promise.resolve(undefined)), [endpointId]);

  return (
    <>
      <p class="crumbs">
        <a href={endpointId ? href(`/endpoints/${endpointId}`) : '#/endpoints'}>{endpointId ? 'Back to the endpoint' : 'Endpoints'}</a>
      </p>
      <h1 tabIndex={-1}>{title}</h1>
      {readOnly ? (
        <p class="notice">This session is read-only, so endpoints cannot be added or changed here.</p>
      ) : endpoint.loading ? (
        <Loading />
      ) : endpoint.error ? (
        <ErrorNotice error={endpoint.error} onRetry={endpoint.reload} />
      ) : (
        <EndpointForm endpoint={endpoint.data} onSaved={(saved) => navigate(`/endpoints/${saved.id}`)} />
      )}
    </>
  );
}
