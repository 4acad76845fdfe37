import { getEndpointStats } from '../api';
import { percent, plural } from '../format';
import { createLimiter, useResource } from '../hooks';

// One stats request per row: a tenant with hundreds of endpoints must not open hundreds at once.
const limit = createLimiter(4);

/** Success rate of the endpoint's attempts over the last 24 hours. */
export function EndpointHealth({ endpointId }: { endpointId: string }) {
  const stats = useResource(
    (signal) =>
      limit(() => {
        if (signal.aborted) return Promise.reject(new DOMException('aborted', 'AbortError'));
        const since = new Date(Date.now() - 24 * 3600e3).toISOString();
        return getEndpointStats(endpointId, { since, bucket: '1h' }, signal);
      }),
    [endpointId],
  );
  if (stats.error) return <span class="muted">unavailable</span>;
  if (!stats.data) return <span class="muted">…</span>;
  let succeeded = 0;
  let failed = 0;
  for (const bucket of stats.data.data) {
    succeeded += bucket.succeeded;
    failed += bucket.failed;
  }
  const total = succeeded + failed;
  if (total === 0) return <span class="muted">no traffic</span>;
  const rate = succeeded / total;
  const tone = rate >= 0.99 ? 'ok' : rate >= 0.9 ? 'warn' : 'bad';
  return (
    <span class={`health health-${tone}`} title={`${plural(succeeded, 'attempt')} succeeded, ${failed.toLocaleString()} failed in the last 24 hours`}>
      {percent(succeeded, total)}
      <span class="visually-hidden"> of {plural(total, 'attempt')} succeeded in the last 24 hours</span>
    </span>
  );
}
