import { useRef, useState } from 'preact/hooks';
import { getEndpointSecret, rotateEndpointSecret } from '../api';
import { useSession } from '../context';
import { absoluteTime } from '../format';
import { useAction } from '../hooks';
import { ErrorNotice, Status } from './Notice';

const MAX_GRACE_SECONDS = 604800;

export function SecretPanel({ endpointId }: { endpointId: string }) {
  const { readOnly } = useSession();
  const [secret, setSecret] = useState<string | null>(null);
  const [grace, setGrace] = useState('86400');
  const reveal = useAction();
  const rotate = useAction();
  const [copied, setCopied] = useState('');
  const valueRef = useRef<HTMLElement>(null);

  async function copy() {
    if (!secret) return;
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Secret copied to the clipboard.');
    } catch {
      // No clipboard access (insecure origin, or a sandboxed iframe): select it for Ctrl+C instead.
      const range = document.createRange();
      if (valueRef.current) range.selectNodeContents(valueRef.current);
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
      setCopied('The browser did not allow copying: the secret is selected, press Ctrl+C (or ⌘C) to copy it.');
    }
  }

  function onRotate(event: SubmitEvent) {
    event.preventDefault();
    const seconds = Number(grace);
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_GRACE_SECONDS) {
      void rotate.run(() => Promise.reject(new Error(`The grace period is a whole number of seconds from 0 to ${MAX_GRACE_SECONDS} (7 days).`)));
      return;
    }
    setCopied('');
    void rotate.run(async () => {
      const result = await rotateEndpointSecret(endpointId, seconds);
      setSecret(result.secret);
      if (seconds === 0) return 'Secret rotated. The old secret no longer signs deliveries.';
      const until = new Date(Date.now() + seconds * 1000).toISOString();
      return `Secret rotated. Deliveries carry signatures by both the old and the new secret until about ${absoluteTime(until)}.`;
    });
  }

  return (
    <section class="section" aria-labelledby="secret-title">
      <h2 id="secret-title">Signing secret</h2>
      <p class="hint">Receivers use this secret to check that a request really comes from us.</p>
      {secret === null ? (
        <button
          type="button"
          data-testid="endpoint-secret-reveal"
          disabled={reveal.busy}
          onClick={() => void reveal.run(async () => setSecret((await getEndpointSecret(endpointId)).secret))}
        >
          {reveal.busy ? 'Loading…' : 'Reveal secret'}
        </button>
      ) : (
        <div class="secret">
          <code ref={valueRef} class="secret-value" data-testid="endpoint-secret-value">
            {secret}
          </code>
          <div class="button-row">
            <button type="button" onClick={() => void copy()}>
              Copy
            </button>
            <button
              type="button"
              onClick={() => {
                setSecret(null);
                setCopied('');
              }}
            >
              Hide
            </button>
          </div>
        </div>
      )}
      <ErrorNotice error={reveal.error} />
      <Status>{copied}</Status>

      {!readOnly && (
        <form class="form form-inline" onSubmit={onRotate} noValidate>
          <label for="grace-period">Grace period (seconds)</label>
          <div class="input-row">
            <input
              id="grace-period"
              type="number"
              min={0}
              max={MAX_GRACE_SECONDS}
              step={1}
              inputMode="numeric"
              value={grace}
              onInput={(e) => setGrace(e.currentTarget.value)}
              aria-describedby="grace-period-hint"
            />
            <button type="submit" data-testid="endpoint-secret-rotate" disabled={rotate.busy}>
              {rotate.busy ? 'Rotating…' : 'Rotate secret'}
            </button>
          </div>
          <p class="hint" id="grace-period-hint">
            How long the old secret keeps signing too, so receivers can switch over. 86400 is one day; at most 7 days.
          </p>
        </form>
      )}
      <ErrorNotice error={rotate.error} />
      <Status>{rotate.message}</Status>
    </section>
  );
}
