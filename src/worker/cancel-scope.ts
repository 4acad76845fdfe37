/**
 * Aborts every attempt registered with it when `parent` aborts, through ONE listener on
 * `parent`: a job sending to many endpoints at once would otherwise add a listener per send
 * to one signal (MaxListenersExceededWarning past ten).
 */
export class CancelScope {
  private readonly controllers = new Set<AbortController>();
  private readonly onAbort = () => {
    for (const controller of this.controllers) controller.abort(this.parent?.reason);
  };

  constructor(private readonly parent?: AbortSignal) {
    parent?.addEventListener('abort', this.onAbort, { once: true });
  }

  get aborted(): boolean {
    return this.parent?.aborted ?? false;
  }

  /** Aborts `controller` with the scope; returns the function that unregisters it. */
  add(controller: AbortController): () => void {
    if (this.aborted) controller.abort(this.parent?.reason);
    this.controllers.add(controller);
    return () => this.controllers.delete(controller);
  }

  dispose(): void {
    this.parent?.removeEventListener('abort', this.onAbort);
    this.controllers.clear();
  }
}
