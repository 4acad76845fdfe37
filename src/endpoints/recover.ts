import { Queryable } from '../database/db';
import { scheduleRecover } from '../queue/queue';
import { EndpointsRepository } from './endpoints.repository';

/** Deliveries a recover queues again per transaction: a recover of any size never holds locks for long. */
export const RECOVER_BATCH = 1000;

/**
 * One step of a recover, in the caller's transaction: a batch goes back to the queue and, when
 * more may remain, a job for the rest is queued with it (so the rest survives a restart, and
 * a rerun of the job finds the batch already pending and moves on).
 */
export async function recoverStep(tx: Queryable, endpoints: EndpointsRepository, endpointId: string, since: Date, before: string | null): Promise<void> {
  const batch = await endpoints.reopenFailedBatch(tx, endpointId, since, before, RECOVER_BATCH);
  if (batch.picked === RECOVER_BATCH && batch.oldest) await scheduleRecover(tx, { endpointId, since, before: batch.oldest });
}
