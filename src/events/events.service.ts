import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/config';
import { offlineSummary } from '../summaries/offline-summariser';
import { NotFoundError } from '../common/errors';
import { newId } from '../common/ids';
import { Page, decodeCursor, pageLimit, toPage } from '../common/pagination';
import { DeliveriesRepository, toDelivery } from '../deliveries/deliveries.repository';
import { TenantsRepository } from '../tenants/tenants.repository';
import { ListEventsDto } from './dto/list-events.dto';
import { EventDetailResponse, EventResponse, PublishedEventResponse } from './dto/event.response';
import { EventRow, EventsRepository } from './events.repository';
import { PublishBatcher } from './publish-batcher';
import { eventsPublished } from '../metrics/metrics';
import { RawJson } from '../common/raw-json';

export interface EventToPublish {
  type: string;
  data: Record<string, unknown>;
  /** The exact published text of data. */
  dataJson: string;
  idempotencyKey: string | null;
  /** A test event: to this endpoint alone, whatever its filter. */
  onlyEndpointId?: string;
}

@Injectable()
export class EventsService {
  constructor(
    private readonly events: EventsRepository,
    private readonly deliveries: DeliveriesRepository,
    private readonly tenants: TenantsRepository,
    private readonly batcher: PublishBatcher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Answers only after the event, its deliveries and their jobs have committed. */
  async publish(tenantId: string, type: string, data: Record<string, unknown>, dataJson: string, idempotencyKey: string | null): Promise<PublishedEventResponse> {
    const [published] = await this.publishAll(tenantId, [{ type, data, dataJson, idempotencyKey }]);
    return published;
  }

  /** Several events in one transaction: all are accepted, or none. */
  async publishAll(tenantId: string, events: EventToPublish[]): Promise<PublishedEventResponse[]> {
    const requests = events.map((e) => ({
      id: newId('evt'),
      tenantId,
      type: e.type,
      dataJson: e.dataJson,
      idempotencyKey: e.idempotencyKey,
      onlyEndpointId: e.onlyEndpointId,
      // Without a model the summary is known now: storing it with the event spares the worker an UPDATE per event.
      summary: this.config.llm.providers.length === 0 ? { text: offlineSummary(e.type, e.data), source: 'offline' as const, model: null } : null,
    }));
    const outcomes = await this.batcher.submitAll(requests);
    if (outcomes.some((o) => !o.tenantKnown)) throw new NotFoundError('tenant');
    return Promise.all(requests.map(async (request, i) => {
      const outcome = outcomes[i];
      if (outcome.createdAt !== null) {
        eventsPublished.inc();
        return { id: request.id, type: request.type, createdAt: outcome.createdAt.toISOString(), deliveries: outcome.deliveries };
      }
      const first = await this.events.findByIdempotencyKey(tenantId, request.idempotencyKey!);
      if (!first) throw new Error('idempotency key conflict without a stored event');
      return { id: first.id, type: first.type, createdAt: first.created_at.toISOString(), deliveries: first.deliveries };
    }));
  }

  async list(tenantId: string, query: ListEventsDto): Promise<Page<EventResponse>> {
    if (!(await this.tenants.find(tenantId))) throw new NotFoundError('tenant');
    const limit = pageLimit(query);
    return toPage(await this.events.list(tenantId, query, limit + 1, decodeCursor(query.cursor)), limit, toEvent);
  }

  /** The event with its delivery count and its first EVENT_DELIVERIES_SHOWN deliveries (the rest through the delivery log). */
  async get(tenantId: string, id: string): Promise<EventDetailResponse> {
    const row = await this.events.find(tenantId, id);
    if (!row) throw new NotFoundError('event');
    const [deliveries, deliveryCount] = await Promise.all([
      this.deliveries.forEvent(id, EVENT_DELIVERIES_SHOWN),
      this.deliveries.countForEvent(id),
    ]);
    return { ...toEvent(row), deliveryCount, deliveries: deliveries.map(toDelivery) };
  }
}

export const EVENT_DELIVERIES_SHOWN = 100;

function toEvent(row: EventRow): EventResponse {
  return {
    id: row.id,
    type: row.type,
    data: row.data_json === null ? null : new RawJson(row.data_json),
    summary: row.summary,
    createdAt: row.created_at.toISOString(),
    // a payload is never null while kept: missing, its day was dropped by retention
    expired: row.data_json === null,
  };
}
