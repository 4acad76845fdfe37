import { Controller, Inject, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PortalRead, PortalRoutes } from '../auth/auth.decorators';
import { IdParam, TenantIdParam } from '../common/id-param';
import { APP_CONFIG, AppConfig } from '../config/config';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveriesService } from './deliveries.service';
import { chunksOf, explainOffline } from './offline-explainer';

const CHUNK_INTERVAL_MS = 12;

/**
 * POST .../deliveries/{id}/explain: "why is this failing?" as text/event-stream (`token`
 * {text}, then `done` {source, model} or `error` {message}). Errors found before the stream
 * starts (unknown delivery) are ordinary JSON errors.
 */
@ApiTags('deliveries')
@ApiBearerAuth()
@PortalRoutes()
@Controller('v1/tenants/:tenantId/deliveries')
export class ExplainController {
  constructor(
    private readonly deliveries: DeliveriesService,
    private readonly repository: DeliveriesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post(':id/explain')
  @PortalRead()
  @ApiProduces('text/event-stream')
  @ApiOperation({ summary: 'Stream a plain-language explanation of why this delivery fails' })
  async explain(@TenantIdParam() tenantId: string, @IdParam('id', 'delivery') id: string, @Res() reply: FastifyReply): Promise<void> {
    const delivery = await this.deliveries.get(tenantId, id);
    const endpoint = await this.repository.retryTarget(tenantId, id);
    const text = explainOffline({
      status: delivery.status,
      requestUrl: delivery.attempts.at(-1)?.requestUrl ?? null,
      endpointEnabled: endpoint?.endpoint_enabled ?? false,
      disabledReason: null,
      timeoutMs: this.config.deliveryTimeoutMs,
      attempts: delivery.attempts.map((a) => ({
        number: a.number, startedAt: new Date(a.startedAt), responseStatus: a.responseStatus, error: a.error,
        responseBody: a.responseBody, responseBodyEncoding: a.responseBodyEncoding,
      })),
    });

    reply.hijack();
    const raw = reply.raw;
    let closed = false;
    raw.on('close', () => (closed = true));
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    const send = (event: string, data: unknown) => {
      if (!closed) raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    for (const chunk of chunksOf(text)) {
      if (closed) return;
      send('token', { text: chunk });
      await new Promise((resolve) => setTimeout(resolve, CHUNK_INTERVAL_MS));
    }
    send('done', { source: 'offline', model: null });
    raw.end();
  }
}
