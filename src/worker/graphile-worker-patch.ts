import { LocalQueue } from 'graphile-worker/dist/localQueue';

/**
 * graphile-worker 0.17.3 (the last release for Node 20): when a local queue is released while
 * it holds jobs and the database is gone, `returnJobs` builds the promise that returns them,
 * then `background()` throws "Cannot background something when the queue is already released"
 * before a handler is attached; that promise then rejects unhandled, which crashes a Node
 * process. This gives the refused promise a handler and changes nothing else (the throw goes
 * on to graphile-worker's own error path). The jobs stay locked and WorkerService unlocks them.
 */
let patched = false;

export function patchGraphileWorker(): void {
  if (patched) return;
  patched = true;
  const proto = LocalQueue.prototype as unknown as { background(promise: Promise<unknown>): void };
  const background = proto.background;
  proto.background = function patchedBackground(this: unknown, promise: Promise<unknown>): void {
    try {
      background.call(this, promise);
    } catch (error) {
      promise.catch(() => undefined);
      throw error;
    }
  };
}
