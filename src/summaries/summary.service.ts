import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { Db } from '../database/db';
import { StreamOutcome, StreamRequest, Summary, SummaryEngine, SummaryInput } from './summary.engine';
import { PgCallRate } from './call-rate';
import { PgSummaryStore } from './summary-store';

/**
 * The one seam the delivery path (and the explain route) calls. Backed by SummaryEngine: the provider cascade when
 * LLM_PROVIDERS is set, the offline summariser otherwise or whenever a model cannot answer in
 * time. It never throws and never waits past LLM_SUMMARY_DEADLINE_MS.
 */
@Injectable()
export class SummaryService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SummaryService.name);
  private readonly engine: SummaryEngine;

  constructor(db: Db, @Inject(APP_CONFIG) config: AppConfig) {
    this.engine = new SummaryEngine(config.llm, new PgSummaryStore(db), {
      callRate: config.llm.requestsPerMinute === null ? undefined : new PgCallRate(db, config.llm.requestsPerMinute),
      // Only ids and the failing stage: event data and provider keys never reach the log.
      onError: (error, context) =>
        this.logger.warn({ eventId: context.eventId, stage: context.stage, error: error instanceof Error ? error.message.slice(0, 200) : 'unknown' }, 'summary fell back to offline'),
    });
  }

  forEvent(event: SummaryInput): Promise<Summary> {
    return this.engine.summarise(event);
  }

  /**
   * A streamed model answer (the delivery explanation) under the summaries' budget, limits and
   * cascade; `fallback` when no text could go out, so the caller answers offline. Never throws.
   */
  stream(request: StreamRequest): Promise<StreamOutcome> {
    return this.engine.stream(request);
  }

  /** After the worker stopped, so in-flight deliveries keep their summaries. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.engine.close();
  }
}
