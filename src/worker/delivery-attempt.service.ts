import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { newId } from '../common/ids';
import { attemptDuration, deliveryOutcomes, publishToDelivery } from '../metrics/metrics';
import { signatureHeaders } from '../signing';
import { SummaryService } from '../summaries/summary.service';
import type { CancelScope } from './cancel-scope';
import { AttemptRecord, WorkerRepository, DueAttempt, EndpointState } from './worker.repository';
import { HttpSender, SendResult } from './http-sender';
import { buildPayload } from './payload';
import type { Summary } from '../summaries/summary.engine';
import { parseRetryAfter } from '../common/retry-after';
import { applyRetryAfter, honoursRetryAfter, nextRetryDelayMs } from './retry-policy';

export const USER_AGENT = 'webhook-delivery-service/0.1';

/** The body of one attempt, built once (its summary may have waited for a model). */
export interface PreparedAttempt {
  body: string;
}

/**
 * One attempt: its body (with the event's summary), the signed request, and what the answer
 * means for the delivery (RETRY_SCHEDULE, jitter, Retry-After, 410). Scheduling, limits and
 * recording are the endpoint driver's (endpoint-driver.ts).
 */
@Injectable()
export class DeliveryAttemptService implements OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryAttemptService.name);
  private readonly sender: HttpSender;
  private readonly summariesInFlight = new Map<string, Promise<Summary>>();

  constructor(
    private readonly repository: WorkerRepository,
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

  /** After every driver stopped (WorkerService.onModuleDestroy): no attempt can start on a closed client. */
  async onApplicationShutdown(): Promise<void> {
    await this.sender.close();
  }

  /** The body of the attempt, or null when it cannot be made (the payload expired). */
  async prepare(endpoint: EndpointState, due: DueAttempt): Promise<PreparedAttempt | null> {
    if (due.data_json === null) return null;
    const summary = endpoint.summaries ? due.summary ?? (await this.summaryFor(due)) : null;
    return { body: buildPayload({ id: due.event_id, type: due.event_type, createdAt: due.event_created_at, dataJson: due.data_json }, summary) };
  }

  /** Signs and sends the attempt now, and says what it means. Never throws. */
  async attempt(endpoint: EndpointState, due: DueAttempt, prepared: PreparedAttempt, cancel: CancelScope): Promise<AttemptRecord> {
    const timestamp = Math.floor(Date.now() / 1000);
    // HttpSender adds content-type, user-agent and content-length; extra headers cannot name those.
    // Kept with the attempt (the delivery log shows the request as sent); the body and the other
    // headers are rebuilt from the event and the endpoint (deliveries/request-as-sent.ts).
    const varying: Record<string, string> = {
      'webhook-timestamp': String(timestamp),
      ...signatureHeaders(endpoint.signature_scheme, activeSecrets(endpoint), due.event_id, timestamp, prepared.body),
    };
    const headers: Record<string, string> = { ...endpoint.headers, 'webhook-id': due.event_id, ...varying };
    const startedAt = new Date();
    const result = await this.sender.post(endpoint.url, headers, prepared.body, cancel);
    const record = this.decide(endpoint, due, startedAt, result, varying);

    attemptDuration.observe(result.durationMs / 1000);
    deliveryOutcomes.inc({ outcome: outcomeLabel(record) });
    if (due.attempt === 1) publishToDelivery.observe((Date.now() - due.event_created_at.getTime()) / 1000);
    if (record.outcome !== 'ok') {
      this.logger.debug({ deliveryId: due.delivery_id, eventId: due.event_id, status: result.status, error: result.error }, 'attempt failed');
    }
    return record;
  }

  private decide(endpoint: EndpointState, due: DueAttempt, startedAt: Date, result: SendResult, requestHeaders: Record<string, string>): AttemptRecord {
    const manual = due.attempt === 0;
    const base = {
      deliveryId: due.delivery_id,
      queueAttempt: due.attempt,
      endpointId: endpoint.id,
      attemptId: newId('att'),
      trigger: manual ? ('manual' as const) : ('scheduled' as const),
      startedAt,
      durationMs: Math.round(result.durationMs),
      requestUrl: endpoint.url,
      responseStatus: result.status,
      responseBody: result.body,
      responseBodyEncoding: result.bodyEncoding,
      responseBodyTruncated: result.bodyTruncated,
      error: result.error,
      requestHeaders,
    };
    const status = result.status;
    // A 2xx counts once its body was read to the end or to RESPONSE_CAPTURE_BYTES; one that broke
    // off or stalled carries its error and is retried like any failure (delivery is at least once).
    if (status !== null && status >= 200 && status < 300 && result.error === null) {
      return { ...base, newStatus: 'succeeded', nextAttemptAt: null, outcome: 'ok' };
    }
    if (status === 410) {
      return { ...base, newStatus: 'failed', nextAttemptAt: null, outcome: 'gone' };
    }
    if (manual) {
      // A manual attempt is extra: its failure leaves the delivery's schedule as it was.
      return { ...base, newStatus: null, nextAttemptAt: null, outcome: 'fail' };
    }
    const scheduled = nextRetryDelayMs(this.config.retryScheduleMs, due.attempt, this.config.retryJitter);
    if (scheduled === null) {
      return { ...base, newStatus: 'failed', nextAttemptAt: null, outcome: 'fail' };
    }
    const retryAfter = honoursRetryAfter(status) ? parseRetryAfter(result.retryAfter, Date.now()) : null;
    const delay = applyRetryAfter(scheduled, retryAfter);
    return { ...base, newStatus: 'pending', nextAttemptAt: new Date(Date.now() + delay), outcome: 'fail' };
  }

  /** One summary per event, shared by concurrent deliveries in this process and stored on the event. */
  private summaryFor(due: DueAttempt): Promise<Summary> {
    let pending = this.summariesInFlight.get(due.event_id);
    if (!pending) {
      pending = (async () => {
        const data = JSON.parse(due.data_json!) as Record<string, unknown>;
        const summary = await this.summaries.forEvent({ tenantId: due.tenant_id, eventId: due.event_id, type: due.event_type, data });
        return this.repository.storeSummary(due.event_id, summary);
      })().finally(() => this.summariesInFlight.delete(due.event_id));
      this.summariesInFlight.set(due.event_id, pending);
    }
    return pending;
  }
}

function activeSecrets(endpoint: EndpointState): string[] {
  const now = Date.now();
  return [endpoint.secret, ...endpoint.previous_secrets.filter((p) => Date.parse(p.expiresAt) > now).map((p) => p.secret)];
}

function outcomeLabel(record: AttemptRecord): string {
  if (record.outcome === 'ok') return 'succeeded';
  if (record.outcome === 'gone') return 'gone';
  return record.newStatus === 'pending' ? 'retrying' : 'failed';
}
