import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { randomInt } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/config';
import { newId } from '../common/ids';
import { DeliverJobPayload } from '../deliveries/delivery-jobs';
import { attemptDuration, deliveryOutcomes, publishToDelivery } from '../metrics/metrics';
import { signatureHeaders } from '../signing';
import { SummaryService } from '../summaries/summary.service';
import { AttemptRecorder } from './attempt-recorder';
import type { CancelScope } from './cancel-scope';
import { AttemptRecord, DeliveryContext, DeliveryRepository } from './delivery.repository';
import { HttpSender, SendResult } from './http-sender';
import { buildPayload, PayloadSummary } from './payload';
import { applyRetryAfter, honoursRetryAfter, nextRetryDelayMs, parseRetryAfter } from './retry-policy';

export const USER_AGENT = 'webhook-delivery-service/0.1';

/**
 * One `deliver` job: load, sign, send, record. It completes normally after recording the
 * attempt; retries are new jobs with their own run_at (RETRY_SCHEDULE, jitter, Retry-After).
 */
@Injectable()
export class DeliveryAttemptService implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryAttemptService.name);
  private readonly sender: HttpSender;
  private readonly summariesInFlight = new Map<string, Promise<PayloadSummary>>();

  constructor(
    private readonly repository: DeliveryRepository,
    private readonly recorder: AttemptRecorder,
    private readonly summaries: SummaryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.sender = new HttpSender({
      timeoutMs: config.deliveryTimeoutMs,
      responseCaptureBytes: config.responseCaptureBytes,
      allowPrivateTargets: config.allowPrivateTargets,
      userAgent: USER_AGENT,
    });
  }

  /** After the worker stopped (WorkerService.onModuleDestroy): no attempt can start on a closed client. */
  async onApplicationShutdown(): Promise<void> {
    await this.sender.close();
  }

  async run(payload: DeliverJobPayload, cancel: CancelScope): Promise<void> {
    const manual = payload.m === 1;
    const ctx = await this.repository.load(payload.d);
    if (!ctx) return;
    if (!manual && ctx.status !== 'pending') return;
    // A job that runs again after its attempt was recorded (its worker died before completing
    // it, or a sibling in its batch failed) must not send again nor start a second retry chain.
    if (!manual && (payload.n ?? 1) <= ctx.scheduled_attempts) return;
    if (ctx.endpoint_deleted) return this.repository.finishWithoutAttempt(ctx.id, 'cancelled');
    if (!ctx.endpoint_enabled || ctx.data_json === null) {
      if (!manual) await this.repository.finishWithoutAttempt(ctx.id, 'failed');
      return;
    }
    // The summary first: it may wait for a model, and the rate-limit slot must be taken right before the send.
    const summary = ctx.summaries ? ctx.summary ?? (await this.summaryFor(ctx)) : null;
    if (ctx.rate_limit_per_second !== null) {
      const freeAt = await this.repository.takeRateSlot(ctx.endpoint_id, ctx.rate_limit_per_second);
      if (freeAt !== null) return this.repository.deferJob(payload, new Date(freeAt.getTime() + randomInt(0, 100)));
    }

    const body = buildPayload({ id: ctx.event_id, type: ctx.event_type, createdAt: ctx.event_created_at, dataJson: ctx.data_json }, summary);
    const timestamp = Math.floor(Date.now() / 1000);
    // HttpSender adds content-type, user-agent and content-length; extra headers cannot name those.
    const headers: Record<string, string> = {
      ...ctx.headers,
      'webhook-id': ctx.event_id,
      'webhook-timestamp': String(timestamp),
      ...signatureHeaders(ctx.signature_scheme, activeSecrets(ctx), ctx.event_id, timestamp, body),
    };

    const startedAt = new Date();
    const result = await this.sender.post(ctx.url, headers, body, cancel);
    const record = this.decide(ctx, payload, startedAt, result);
    await this.recorder.record(record);

    attemptDuration.observe(result.durationMs / 1000);
    deliveryOutcomes.inc({ outcome: outcomeLabel(record) });
    if (!manual && (payload.n ?? 1) === 1) publishToDelivery.observe((Date.now() - ctx.event_created_at.getTime()) / 1000);
    if (record.outcome !== 'ok') {
      this.logger.debug({ deliveryId: ctx.id, eventId: ctx.event_id, status: result.status, error: result.error }, 'attempt failed');
    }
  }

  private decide(ctx: DeliveryContext, payload: DeliverJobPayload, startedAt: Date, result: SendResult): AttemptRecord {
    const base = {
      deliveryId: ctx.id,
      endpointId: ctx.endpoint_id,
      attemptId: newId('att'),
      trigger: payload.m === 1 ? ('manual' as const) : ('scheduled' as const),
      startedAt,
      durationMs: Math.round(result.durationMs),
      requestUrl: ctx.url,
      responseStatus: result.status,
      responseBody: result.body,
      responseBodyEncoding: result.bodyEncoding,
      responseBodyTruncated: result.bodyTruncated,
      error: result.error,
    };
    const status = result.status;
    // A 2xx counts once its body was read to the end or to RESPONSE_CAPTURE_BYTES; one that broke
    // off or stalled carries its error and is retried like any failure (delivery is at least once).
    if (status !== null && status >= 200 && status < 300 && result.error === null) {
      return { ...base, newStatus: 'succeeded', nextAttemptAt: null, retryAttempt: 0, outcome: 'ok' };
    }
    if (status === 410) {
      return { ...base, newStatus: 'failed', nextAttemptAt: null, retryAttempt: 0, outcome: 'gone' };
    }
    if (payload.m === 1) {
      // A manual attempt is extra: its failure leaves the delivery's schedule as it was.
      return { ...base, newStatus: null, nextAttemptAt: null, retryAttempt: 0, outcome: 'fail' };
    }
    const attemptNumber = payload.n ?? 1;
    const scheduled = nextRetryDelayMs(this.config.retryScheduleMs, attemptNumber, this.config.retryJitter);
    if (scheduled === null) {
      return { ...base, newStatus: 'failed', nextAttemptAt: null, retryAttempt: 0, outcome: 'fail' };
    }
    const retryAfter = honoursRetryAfter(status) ? parseRetryAfter(result.retryAfter, Date.now()) : null;
    const delay = applyRetryAfter(scheduled, retryAfter);
    return { ...base, newStatus: 'pending', nextAttemptAt: new Date(Date.now() + delay), retryAttempt: attemptNumber + 1, outcome: 'fail' };
  }

  /** One summary per event, shared by concurrent deliveries in this process and stored on the event. */
  private summaryFor(ctx: DeliveryContext): Promise<PayloadSummary> {
    let pending = this.summariesInFlight.get(ctx.event_id);
    if (!pending) {
      pending = (async () => {
        const data = JSON.parse(ctx.data_json!) as Record<string, unknown>;
        const summary = await this.summaries.forEvent({ tenantId: ctx.tenant_id, eventId: ctx.event_id, type: ctx.event_type, data });
        return this.repository.storeSummary(ctx.event_id, summary);
      })().finally(() => this.summariesInFlight.delete(ctx.event_id));
      this.summariesInFlight.set(ctx.event_id, pending);
    }
    return pending;
  }
}

function activeSecrets(ctx: DeliveryContext): string[] {
  const now = Date.now();
  return [ctx.secret, ...ctx.previous_secrets.filter((p) => Date.parse(p.expiresAt) > now).map((p) => p.secret)];
}

function outcomeLabel(record: AttemptRecord): string {
  if (record.outcome === 'ok') return 'succeeded';
  if (record.outcome === 'gone') return 'gone';
  return record.newStatus === 'pending' ? 'retrying' : 'failed';
}
