import { Db, Queryable } from '../database/db';
import { RecoverPayload, scheduleRecover } from '../queue/queue';
import { EndpointsRepository } from './endpoints.repository';

/** Deliveries a recover queues again per transaction: a recover of any size never holds locks for long. */
export const RECOVER_BATCH = 1000;

/**
 * How far a recover runs ahead of its endpoint's drain: it queues the next batch only while
 * fewer than this are queued for the endpoint, and otherwise looks again in RECOVER_POLL_MS. So
 * a recover of any size keeps the queue short (a delete or disable meanwhile has little to
 * cancel), spreads its writes over the time the deliveries take instead of bunching them at
 * the start, and waits while the endpoint is down (its circuit holds what is queued) instead
 * of queueing all of it. 10,000 ahead, looked at again within 1-2 s (a job's run_at is seen at
 * graphile-worker's next poll), feeds one endpoint 5,000 deliveries a second.
 */
export const RECOVER_AHEAD = 10 * RECOVER_BATCH;
export const RECOVER_POLL_MS = 1000;

/**
 * One step of a recover, in the caller's transaction: a batch goes back to the queue and, when
 * more may remain, a job for the rest is queued with it (so the rest survives a restart, and
 * a rerun of the job finds the batch already pending and moves on). The worker's steps are
 * paced (the API's first one is not, `queuedAhead` null): given `queuedAhead`, how many of the
 * endpoint's attempts are queued (EndpointsRepository.queuedUpTo, read before the transaction),
 * a step waits while RECOVER_AHEAD are.
 */
export async function recoverStep(tx: Queryable, endpoints: EndpointsRepository, endpointId: string, since: Date, before: string | null, queuedAhead: number | null): Promise<void> {
  if (before && queuedAhead !== null && queuedAhead >= RECOVER_AHEAD) {
    await scheduleRecover(tx, { endpointId, since, before }, RECOVER_POLL_MS);
    return;
  }
  const batch = await endpoints.reopenFailedBatch(tx, endpointId, since, before, RECOVER_BATCH);
  if (batch.picked === RECOVER_BATCH && batch.oldest) await scheduleRecover(tx, { endpointId, since, before: batch.oldest }, 0);
}

/** The worker's step (a `recover` job): paced by the endpoint's queue, counted before the step's transaction. */
export async function recoverJob(db: Db, endpoints: EndpointsRepository, job: RecoverPayload): Promise<void> {
  const queuedAhead = await endpoints.queuedUpTo(job.endpointId, RECOVER_AHEAD);
  await db.transaction((tx) => recoverStep(tx, endpoints, job.endpointId, job.since, job.before, queuedAhead));
}
