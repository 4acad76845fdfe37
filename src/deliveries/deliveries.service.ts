import { Injectable } from '@nestjs/common';
import { ConflictError, NotFoundError } from '../common/errors';
import { Page, decodeCursor, pageLimit, toPage } from '../common/pagination';
import { TenantsRepository } from '../tenants/tenants.repository';
import { DeliveriesRepository, toAttempt, toDelivery } from './deliveries.repository';
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
    const rows = await this.deliveries.list(tenantId, query, limit + 1, decodeCursor(query.cursor));
    return toPage(rows, limit, toDelivery);
  }

  async get(tenantId: string, id: string): Promise<DeliveryDetailResponse> {
    const row = await this.deliveries.find(tenantId, id);
    if (!row) throw new NotFoundError('delivery');
    const attempts = await this.deliveries.attempts(id);
    return { ...toDelivery(row), attempts: attempts.map(toAttempt) };
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
