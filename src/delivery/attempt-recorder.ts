import { Inject, Injectable, Logger } from '@nestjs/common';
import { codeOf, isDatabaseUnavailable } from '../common/domain-error.filter';
import { APP_CONFIG, AppConfig } from '../config/config';
import { AttemptRecord, DeliveryRepository } from './delivery.repository';

const MAX_BATCH = 200;
const MAX_WAIT_MS = 5;

interface Waiter {
  record: AttemptRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for attempt records: records gathered for up to 5 ms (or 200) are written by
 * one statement. `record` resolves only after the statement holding it committed, so a job
 * never completes before its attempt is in the log.
 */
@Injectable()
export class AttemptRecorder {
  private readonly logger = new Logger(AttemptRecorder.name);
  private batch: Waiter[] = [];
  private ids = new Set<string>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly repository: DeliveryRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  record(record: AttemptRecord): Promise<void> {
    // One statement updates each delivery once: a second record of the same delivery starts a new batch.
    if (this.ids.has(record.deliveryId)) this.flush();
    return new Promise<void>((resolve, reject) => {
      this.batch.push({ record, resolve, reject });
      this.ids.add(record.deliveryId);
      if (this.batch.length >= MAX_BATCH) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), MAX_WAIT_MS);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const waiters = this.batch;
    this.batch = [];
    this.ids = new Set();
    if (waiters.length === 0) return;
    this.repository.recordBatch(waiters.map((w) => w.record), this.config.endpointDisableAfterMs).then(
      () => waiters.forEach((w) => w.resolve()),
      (error: unknown) => {
        // An unreachable database is an outage the operator sees in readiness, not a fault of ours.
        if (isDatabaseUnavailable(error)) this.logger.warn({ code: codeOf(error), count: waiters.length }, 'database unavailable: attempts not recorded; their jobs will run again');
        else this.logger.error({ err: error, count: waiters.length }, 'recording attempts failed; their jobs will run again');
        waiters.forEach((w) => w.reject(error));
      },
    );
  }
}
