import { Inject, Injectable, Logger } from '@nestjs/common';
import { codeOf, isDatabaseUnavailable } from '../common/domain-error.filter';
import { APP_CONFIG, AppConfig } from '../config/config';
import { AttemptRecord, attemptKey, WorkerRepository } from './worker.repository';

const MAX_BATCH = 200;
const MAX_WAIT_MS = 5;

/** What became of one record. */
export interface Recorded {
  /** False when its queue row was gone: someone else recorded that attempt already. */
  recorded: boolean;
  /** The batch disabled this record's endpoint (410, or failing past ENDPOINT_DISABLE_AFTER). */
  endpointDisabled: boolean;
}

interface Waiter {
  record: AttemptRecord;
  resolve: (result: Recorded) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for attempt records: records gathered for up to 5 ms (or 200) are written by
 * one statement. `record` resolves only after the statement holding it committed, so an
 * attempt leaves the queue only once it is in the log.
 */
@Injectable()
export class AttemptRecorder {
  private readonly logger = new Logger(AttemptRecorder.name);
  private batch: Waiter[] = [];
  private ids = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private readonly writing = new Set<Promise<void>>();

  constructor(
    private readonly repository: WorkerRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  record(record: AttemptRecord): Promise<Recorded> {
    // One statement updates each delivery once: a second record of the same delivery starts a new batch.
    if (this.ids.has(record.deliveryId)) this.flush();
    return new Promise<Recorded>((resolve, reject) => {
      this.batch.push({ record, resolve, reject });
      this.ids.add(record.deliveryId);
      if (this.batch.length >= MAX_BATCH) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), MAX_WAIT_MS);
    });
  }

  /** Writes what is gathered now and waits for every write in progress (shutdown). */
  async drain(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.writing]);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const waiters = this.batch;
    this.batch = [];
    this.ids = new Set();
    if (waiters.length === 0) return;
    const write = this.repository.recordBatch(waiters.map((w) => w.record), this.config.endpointDisableAfterMs).then(
      (result) => waiters.forEach((w) => w.resolve({
        recorded: result.recorded.has(attemptKey(w.record.deliveryId, w.record.queueAttempt)),
        endpointDisabled: result.disabled.has(w.record.endpointId),
      })),
      (error: unknown) => {
        // An unreachable database is an outage the operator sees in readiness, not a fault of ours.
        if (isDatabaseUnavailable(error)) this.logger.warn({ code: codeOf(error), count: waiters.length }, 'database unavailable: attempts not recorded; they will be made again');
        else this.logger.error({ err: error, count: waiters.length }, 'recording attempts failed; they will be made again');
        waiters.forEach((w) => w.reject(error));
      },
    );
    this.writing.add(write);
    void write.finally(() => this.writing.delete(write));
  }
}
