import { useEffect, useRef, useState } from 'preact/hooks';
import { explainDelivery, isAbortError, type ExplainDone } from '../api';
import { ErrorNotice, Status } from './Notice';

/** Streams "why is this failing?" while open; closing it (unmounting) aborts the request. */
export function ExplainPanel({ deliveryId, onClose }: { deliveryId: string; onClose: () => void }) {
  const [text, setText] = useState('');
  const [done, setDone] = useState<ExplainDone | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const streaming = !done && !error;

  useEffect(() => headingRef.current?.focus(), []);

  useEffect(() => {
    const controller = new AbortController();
    setText('');
    setDone(null);
    setError(null);
    explainDelivery(deliveryId, (token) => setText((current) => current + token), controller.signal).then(
      (result) => controller.signal.aborted || setDone(result),
      (caught: unknown) => controller.signal.aborted || isAbortError(caught) || setError(caught),
    );
    return () => controller.abort();
  }, [deliveryId, attempt]);

  return (
    <section
      class="panel"
      aria-labelledby="explain-title"
      data-testid="explain-panel"
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.stopPropagation();
          onClose();
        }
      }}
    >
      <div class="panel-head">
        <h2 id="explain-title" ref={headingRef} tabIndex={-1}>
          Why is this failing?
        </h2>
        <button type="button" data-testid="explain-close" onClick={onClose}>
          Close<span class="visually-hidden"> the explanation</span>
        </button>
      </div>
      {/* aria-busy holds the announcement until the text is complete instead of reading every token. */}
      <div class="explain-text" data-testid="explain-text" aria-live="polite" aria-busy={streaming} aria-atomic="false">
        {text}
        {streaming && <span class="caret" aria-hidden="true" />}
      </div>
      <Status>
        {streaming
          ? text
            ? 'Writing the explanation…'
            : 'Looking at the attempts…'
          : done
            ? done.source === 'llm'
              ? `Written by a model${done.model ? ` (${done.model})` : ''}; check it against the attempts below.`
              : 'Worked out from the attempts, without a model.'
            : ''}
      </Status>
      {error !== null && (
        <>
          <ErrorNotice error={error} onRetry={() => setAttempt((n) => n + 1)} />
        </>
      )}
    </section>
  );
}
