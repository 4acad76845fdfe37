import { Controller, Inject, Logger, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import type { FastifyReply } from 'fastify';
import { PortalRead, PortalRoutes } from '../auth/auth.decorators';
import { IdParam, TenantIdParam } from '../common/id-param';
import { APP_CONFIG, AppConfig } from '../config/config';
import { SummaryService } from '../summaries/summary.service';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveriesService } from './deliveries.service';
import {
  buildExplainMessage, createOutputFilter, endpointHost, EXPLAIN_MAX_CHARS, EXPLAIN_SYSTEM_PROMPT, type ExplainInput, newNonce,
} from './explain-prompt';
import { chunksOf, explainOffline } from './offline-explainer';

const CHUNK_INTERVAL_MS = 12;
/** No text from a model by then (budget, limiter, retries, first byte): the offline explanation. A person is waiting. */
const FIRST_TOKEN_MS = 15_000;
/** A provider silent this long (before its headers or between chunks) has failed. */
const IDLE_TIMEOUT_MS = 6_000;
/** Longest single model call, request to terminal event. */
const CALL_TIMEOUT_MS = 60_000;

/**
 * POST .../deliveries/{id}/explain: "why is this failing?" as text/event-stream (`token`
 * {text}, then `done` {source, model} or `error` {message}). Errors found before the stream
 * starts (unknown delivery) are ordinary JSON errors.
 *
 * With LLM_PROVIDERS set, the model cascade writes it, each streamed piece forwarded as a
 * `token` event as it arrives, under the summaries' redaction, budget and limits. No model
 * (none configured, budget spent, limiter refusing, every provider failing before its first
 * word): the offline explanation, `done` {source: "offline"}. A model that breaks off after its
 * first word: a note saying so, the offline explanation after it, `done` {source: "llm",
 * model, interrupted: true}. The client closing the connection aborts the model call.
 * Not cached: the attempts change with every retry and an explanation is asked for rarely.
 */
@ApiTags('deliveries')
@ApiBearerAuth()
@PortalRoutes()
@Controller('v1/tenants/:tenantId/deliveries')
export class ExplainController {
  constructor(
    private readonly deliveries: DeliveriesService,
    private readonly repository: DeliveriesRepository,
    private readonly summaries: SummaryService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private readonly logger = new Logger(ExplainController.name);

  @Post(':id/explain')
  @PortalRead()
  @ApiOperation({ summary: 'Stream a plain-language explanation of why this delivery fails' })
  @ApiOkResponse({
    description: 'Server-sent events: `token` {text} messages as the explanation is written, then `done` {source, model, interrupted?} or `error` {message}',
    content: { 'text/event-stream': { schema: { type: 'string' }, example: 'event: token\ndata: {"text":"The receiver answers 500"}\n\nevent: done\ndata: {"source":"offline","model":null}\n\n' } },
  })
  @ApiErrors(401, 404)
  async explain(@TenantIdParam() tenantId: string, @IdParam('id', 'delivery') id: string, @Res() reply: FastifyReply): Promise<void> {
    const delivery = await this.deliveries.get(tenantId, id);
    const endpoint = await this.repository.explainTarget(tenantId, id);
    const input: ExplainInput = {
      status: delivery.status,
      eventType: delivery.eventType ?? null,
      attemptCount: delivery.attemptCount,
      nextAttemptAt: delivery.nextAttemptAt,
      endpointEnabled: endpoint?.endpoint_enabled ?? false,
      disabledReason: endpoint?.disabled_reason ?? null,
      timeoutMs: this.config.deliveryTimeoutMs,
      attempts: delivery.attempts.map((a) => ({
        number: a.number, trigger: a.trigger, startedAt: a.startedAt, durationMs: a.durationMs, requestUrl: a.requestUrl,
        responseStatus: a.responseStatus, responseBody: a.responseBody, responseBodyEncoding: a.responseBodyEncoding,
        responseBodyTruncated: a.responseBodyTruncated, error: a.error,
      })),
    };
    const offline = () => explainOffline({
      status: input.status,
      requestUrl: delivery.attempts.at(-1)?.requestUrl ?? null,
      endpointEnabled: input.endpointEnabled,
      disabledReason: input.disabledReason,
      timeoutMs: input.timeoutMs,
      attempts: delivery.attempts.map((a) => ({
        number: a.number, startedAt: new Date(a.startedAt), responseStatus: a.responseStatus, error: a.error,
        responseBody: a.responseBody, responseBodyEncoding: a.responseBodyEncoding,
      })),
    });

    reply.hijack();
    const raw = reply.raw;
    let closed = false;
    const clientGone = new AbortController();
    const gone = () => {
      closed = true;
      clientGone.abort(new Error('the client closed the connection'));
    };
    raw.on('close', gone);
    // A client that left while the delivery was read has already closed: no event will come.
    if (raw.destroyed || raw.socket === null || raw.socket.destroyed) gone();
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    raw.flushHeaders();
    const send = (event: string, data: unknown) => {
      if (!closed) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const sendSlowly = async (text: string) => {
      for (const chunk of chunksOf(text)) {
        if (closed) return;
        send('token', { text: chunk });
        await new Promise((resolve) => setTimeout(resolve, CHUNK_INTERVAL_MS));
      }
    };

    try {
      // Nothing failed (or nothing was tried): there is nothing for a model to find.
      const failing = input.attempts.some((a) => a.error !== null || a.responseStatus === null || a.responseStatus < 200 || a.responseStatus > 299);
      if (failing) {
        const filter = createOutputFilter(endpointHost(input.attempts.at(-1)?.requestUrl ?? null));
        const outcome = await this.summaries.stream({
          tenantId,
          logId: id,
          system: EXPLAIN_SYSTEM_PROMPT,
          user: buildExplainMessage(input, newNonce()),
          signal: clientGone.signal,
          firstTokenMs: FIRST_TOKEN_MS,
          callTimeoutMs: CALL_TIMEOUT_MS,
          idleTimeoutMs: IDLE_TIMEOUT_MS,
          maxChars: EXPLAIN_MAX_CHARS,
          onDelta: (delta) => {
            const text = filter.push(delta);
            if (text) send('token', { text });
          },
        });
        // Ids and outcome only: neither the prompt, the response bodies nor the reply reach the log.
        this.logger.log({ tenantId, deliveryId: id, outcome: outcome.kind, reason: 'reason' in outcome ? outcome.reason : null }, 'delivery explained');
        if (closed) return;
        const tail = filter.end();
        if (tail) send('token', { text: tail });
        if (outcome.kind === 'complete') {
          send('done', { source: 'llm', model: outcome.model });
          return;
        }
        if (outcome.kind === 'interrupted') {
          if (outcome.reason === 'too-long') {
            send('token', { text: '\n\n[The model\'s answer was cut off here: it ran past the length limit.]' });
          } else {
            send('token', { text: '\n\n[The model\'s answer broke off here. What the attempts show, worked out without a model:]\n\n' });
            await sendSlowly(offline());
          }
          send('done', { source: 'llm', model: outcome.model, interrupted: true });
          return;
        }
      }
      await sendSlowly(offline());
      send('done', { source: 'offline', model: null });
    } catch (error) {
      this.logger.warn({ tenantId, deliveryId: id, error: error instanceof Error ? error.name : 'unknown' }, 'explanation failed');
      send('error', { message: 'The explanation failed. Try again.' });
    } finally {
      raw.end();
    }
  }
}
