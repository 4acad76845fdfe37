import type { ComponentChildren } from 'preact';
import { useAction } from '../hooks';
import { Dialog } from './Dialog';
import { ErrorNotice } from './Notice';

interface Props {
  title: string;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  children: ComponentChildren;
}

export function ConfirmDialog({ title, confirmLabel, onConfirm, onClose, children }: Props) {
  const action = useAction();
  return (
    <Dialog title={title} onClose={onClose}>
      <div class="dialog-body">{children}</div>
      <ErrorNotice error={action.error} />
      <div class="button-row">
        <button type="button" data-autofocus onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          class="button-danger"
          data-testid="confirm-dialog-ok"
          disabled={action.busy}
          onClick={() => void action.run(onConfirm)}
        >
          {action.busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}
