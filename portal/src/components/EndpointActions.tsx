import { useState } from 'preact/hooks';
import { deleteEndpoint, enableEndpoint, listDeliveries, sendTestEvent, updateEndpoint, type Delivery, type Endpoint, type PublishedEvent } from '../api';
import { useSession } from '../context';
import { useAction } from '../hooks';
import { href } from '../router';
import { ConfirmDialog } from './ConfirmDialog';
import { ErrorNotice, Status } from './Notice';
import { Url } from './Url';

interface Props {
  endpoint: Endpoint;
  onChanged: (endpoint: Endpoint) => void;
  onDeleted: () => void;
}

/** Edit, enable/disable, send a test event, delete: the same controls in the list and on the detail page. */
export function EndpointActions({ endpoint, onChanged, onDeleted }: Props) {
  const { readOnly } = useSession();
  const toggle = useAction();
  const test = useAction();
  const [sent, setSent] = useState<{ event: PublishedEvent; delivery?: Delivery } | null>(null);
  const [confirming, setConfirming] = useState(false);

  if (readOnly) return null;

  function onToggle() {
    setSent(null);
    void toggle.run(async () => {
      // Enabling goes through /enable, which also clears the failure history that auto-disable counts.
      const updated = endpoint.enabled ? await updateEndpoint(endpoint.id, { enabled: false }) : await enableEndpoint(endpoint.id);
      onChanged(updated);
      return updated.enabled ? 'Endpoint enabled.' : 'Endpoint disabled: it gets no requests until enabled again.';
    });
  }

  function onSendTest() {
    toggle.clear();
    setSent(null);
    void test.run(async () => {
      const event = await sendTestEvent(endpoint.id);
      // The delivery is written with the event, so it can be looked up at once.
      let delivery: Delivery | undefined;
      try {
        delivery = (await listDeliveries({ eventId: event.id, endpointId: endpoint.id, limit: 1 })).data[0];
      } catch {
        // The link to the event still leads there.
      }
      setSent({ event, delivery });
    });
  }

  return (
    <div class="actions">
      <div class="button-row">
        <a class="button" href={href(`/endpoints/${endpoint.id}/edit`)}>
          Edit<span class="visually-hidden"> {endpoint.url}</span>
        </a>
        <button type="button" onClick={onToggle} disabled={toggle.busy} aria-label={`${endpoint.enabled ? 'Disable' : 'Enable'} ${endpoint.url}`}>
          {endpoint.enabled ? 'Disable' : 'Enable'}
        </button>
        <button type="button" data-testid="endpoint-send-test" onClick={onSendTest} disabled={test.busy}>
          {test.busy ? 'Sending…' : 'Send test event'}
        </button>
        <button type="button" class="button-danger" data-testid="endpoint-delete" onClick={() => setConfirming(true)}>
          Delete<span class="visually-hidden"> {endpoint.url}</span>
        </button>
      </div>
      <ErrorNotice error={toggle.error ?? test.error} />
      <Status>
        {toggle.message}
        {sent && (
          <span>
            Test event sent ({sent.event.type}).{' '}
            {sent.delivery ? (
              <a href={href(`/deliveries/${sent.delivery.id}`)} data-testid="endpoint-test-delivery">
                View its delivery
              </a>
            ) : (
              <a href={href(`/events/${sent.event.id}`)}>View the event</a>
            )}
          </span>
        )}
      </Status>
      {confirming && (
        <ConfirmDialog
          title="Delete this endpoint?"
          confirmLabel="Delete endpoint"
          onClose={() => setConfirming(false)}
          onConfirm={async () => {
            await deleteEndpoint(endpoint.id);
            setConfirming(false);
            onDeleted();
          }}
        >
          <p>
            <strong class="break">
              <Url url={endpoint.url} />
            </strong> will stop receiving events. Its pending deliveries are
            cancelled. This cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
