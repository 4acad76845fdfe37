import type { Attempt } from '../api';
import { duration } from '../format';
import { AttemptOutcomeBadge } from './Badge';
import { RelTime } from './RelTime';
import { Url } from './Url';

export function AttemptItem({ attempt, open }: { attempt: Attempt; open: boolean }) {
  const headers = attempt.requestHeaders ? Object.entries(attempt.requestHeaders) : null;
  return (
    <li class="attempt" data-testid="attempt-item" data-id={attempt.id}>
      <div class="attempt-head">
        <span class="attempt-number">Attempt {attempt.number}</span>
        <AttemptOutcomeBadge attempt={attempt} />
        <span class="muted">
          <RelTime iso={attempt.startedAt} /> · {duration(attempt.durationMs)} · {attempt.trigger === 'manual' ? 'manual retry' : 'scheduled'}
        </span>
      </div>
      <details class="attempt-details" open={open}>
        <summary>Request and response</summary>
        <div class="attempt-body">
          <section aria-label={`Attempt ${attempt.number}: request`}>
            <h3>Request</h3>
            <RequestProvenance attempt={attempt} />
            <p class="break">
              <span class="label">POST</span> <code>
                <Url url={attempt.requestUrl} />
              </code>
            </p>
            <h4>Headers</h4>
            {headers ? (
              <dl class="kv">
                {headers.map(([name, value]) => (
                  <div key={name}>
                    <dt>{name}</dt>
                    <dd>{value}</dd>
                  </div>
                ))}
              </dl>
            ) : (
              <p class="muted">not recorded</p>
            )}
            <h4>Body</h4>
            {attempt.requestBody === undefined || attempt.requestBody === null ? (
              <p class="muted">{attempt.expired ? 'deleted after the retention period' : 'not recorded'}</p>
            ) : (
              <pre class="code code-wrap" tabIndex={0} aria-label={`Attempt ${attempt.number}: request body, exactly as sent`}>
                {attempt.requestBody}
              </pre>
            )}
          </section>
          <section aria-label={`Attempt ${attempt.number}: response`}>
            <h3>Response</h3>
            <p>
              {attempt.responseStatus === null ? (
                <span>No response{attempt.error ? `: ${attempt.error}` : ''}.</span>
              ) : (
                <span>
                  Status <strong>{attempt.responseStatus}</strong>
                  {attempt.error ? ` (then: ${attempt.error})` : ''}
                </span>
              )}
            </p>
            <ResponseBody attempt={attempt} />
          </section>
        </div>
      </details>
    </li>
  );
}

/**
 * The body is not stored per attempt: the server rebuilds it from the event and checks it
 * against the signature recorded with the attempt (`requestVerified`). Say which one this is.
 */
function RequestProvenance({ attempt }: { attempt: Attempt }) {
  if (attempt.requestBody === undefined || attempt.requestBody === null) return null;
  const verified = attempt.requestVerified === true;
  return (
    <p class={verified ? 'note note-ok' : 'note'} data-testid="request-verified" data-verified={verified ? 'true' : 'false'}>
      {verified
        ? 'Exactly as sent: the body matches the signature recorded with this attempt.'
        : 'Reconstructed: the body is rebuilt from the event and could not be checked against the signature recorded with this attempt (no signature was recorded, or the secret that signed it is gone), so it may differ from what was sent.'}{' '}
      Headers other than the timestamp and the signature are the endpoint's current ones.
    </p>
  );
}

function ResponseBody({ attempt }: { attempt: Attempt }) {
  if (attempt.expired) return <p class="muted">Body deleted after the retention period.</p>;
  if (attempt.responseStatus === null) return null;
  if (attempt.responseBody === null || attempt.responseBody === '') return <p class="muted">Empty body.</p>;
  const base64 = attempt.responseBodyEncoding === 'base64';
  return (
    <>
      <h4>Body{base64 ? ' (binary, shown as base64)' : ''}</h4>
      <pre class="code code-wrap" tabIndex={0} aria-label={`Attempt ${attempt.number}: response body`}>
        {attempt.responseBody}
      </pre>
      {attempt.responseBodyTruncated && <p class="note">Truncated: only the start of the body was kept.</p>}
    </>
  );
}

