import { useState } from 'preact/hooks';
import { recoverEndpoint, type Endpoint } from '../api';
import { localInputToIso, plural, toLocalInput } from '../format';
import { useAction } from '../hooks';
import { href } from '../router';
import { ErrorNotice, Status } from './Notice';

export function RecoverForm({ endpoint }: { endpoint: Endpoint }) {
  const [since, setSince] = useState(() => toLocalInput(new Date(Date.now() - 24 * 3600e3)));
  const action = useAction();

  function onSubmit(event: SubmitEvent) {
    event.preventDefault();
    const iso = localInputToIso(since);
    void action.run(async () => {
      if (!iso) throw new Error('Choose the date and time to recover from.');
      const result = await recoverEndpoint(endpoint.id, iso);
      return result.deliveries === 0
        ? 'No failed deliveries since then: nothing to recover.'
        : `${plural(result.deliveries, 'failed delivery', 'failed deliveries')} queued again, starting the retry schedule from the first attempt.`;
    });
  }

  return (
    <section class="section" aria-labelledby="recover-title">
      <h2 id="recover-title">Recover failed deliveries</h2>
      <p class="hint">Sends every failed delivery of this endpoint since the chosen time again, for example after fixing an outage.</p>
      {!endpoint.enabled && <p class="notice">The endpoint is disabled: enable it first, then recover.</p>}
      <form class="form form-inline" onSubmit={onSubmit} noValidate>
        <label for="recover-since">Failed since (your local time)</label>
        <div class="input-row">
          <input id="recover-since" type="datetime-local" value={since} onInput={(e) => setSince(e.currentTarget.value)} />
          <button type="submit" disabled={action.busy || !endpoint.enabled}>
            {action.busy ? 'Recovering…' : 'Recover failed deliveries'}
          </button>
        </div>
      </form>
      <ErrorNotice error={action.error} />
      <Status testId="recover-result">
        {action.message}
        {action.message && (
          <>
            {' '}
            <a href={href('/events', { endpointId: endpoint.id, status: 'pending' })}>See them in the log</a>
          </>
        )}
      </Status>
    </section>
  );
}
