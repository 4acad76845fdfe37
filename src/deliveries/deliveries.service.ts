import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '../common/errors';
import { Page, decodeCursor, pageLimit, toPage } from '../common/pagination';
import { TenantsRepository } from '../tenants/tenants.repository';
import { USER_AGENT } from '../worker/delivery-attempt.service';
import { DeliveriesRepository, RequestSourceRow, toAttempt, toDelivery } from './deliveries.repository';
import { requestAsSent, RequestSource } from './request-as-sent';
import { DeliveryDetailResponse, DeliveryResponse } from './dto/delivery.response';
import { ListDeliveriesDto } from './dto/list-deliveries.dto';

@Injectable()
export class DeliveriesService {
  constructor(
    private readonly deliveries: DeliveriesRepository,
    private readonly tenants: TenantsRepository,
  ) {}

  async list(tenantId: string, query: ListDeliveriesDto): Promise<Page<DeliveryResponse>> {
    if (!(await this.tenants.find(tenantId))) throw new NotFoundError('tenant');
    const limit = pageLimit(query);
    const { rows, scanEnd } = await this.deliveries.list(tenantId, query, limit + 1, decodeCursor(query.cursor));
    return toPage(rows, limit, toDelivery, scanEnd);
  }

  async get(tenantId: string, id: string): Promise<DeliveryDetailResponse> {
    const row = await this.deliveries.find(tenantId, id);
    if (!row) throw new NotFoundError('delivery');
    const [attempts, request] = await Promise.all([this.deliveries.attempts(id), this.deliveries.requestSource(id)]);
    const source = request ? toRequestSource(request) : null;
    return {
      ...toDelivery(row),
      attempts: attempts.map((attempt) => ({
        ...toAttempt(attempt),
        ...(source ? requestAsSent(source, attempt.request_headers) : { requestHeaders: null, requestBody: null, requestVerified: false }),
      })),
    };
  }

  /** One extra attempt now, outside the retry schedule (trigger "manual"). */
  async retry(tenantId: string, id: string): Promise<DeliveryResponse> {
    const target = await this.deliveries.retryTarget(tenantId, id);
    if (!target) throw new NotFoundError('delivery');
    if (target.endpoint_deleted) throw new ConflictError('the endpoint of this delivery was deleted');
    if (!target.endpoint_enabled) throw new ConflictError('the endpoint of this delivery is disabled: enable it first');
    if (target.event_expired) throw new ConflictError('the event payload has expired (RETENTION_DAYS)');
    await this.deliveries.queueManualAttempt(id);
    return toDelivery((await this.deliveries.find(tenantId, id))!);
  }
}

function toRequestSource(row: RequestSourceRow): RequestSource {
  return {
    event: { id: row.event_id, type: row.event_type, createdAt: row.event_created_at, dataJson: row.data_json, summary: row.summary },
    endpoint: {
      headers: row.headers,
      summaries: row.summaries,
      signatureScheme: row.signature_scheme,
      secrets: [row.secret, ...row.previous_secrets.map((p) => p.secret)],
    },
    userAgent: USER_AGENT,
  };
}
