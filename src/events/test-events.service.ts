import { Inject, Injectable } from '@nestjs/common';
import type { JsonScan } from '../common/json-body';
import { ConflictError, NotFoundError } from '../common/errors';
import { APP_CONFIG, AppConfig } from '../config/config';
import { DeliveriesRepository } from '../deliveries/deliveries.repository';
import { EndpointsRepository } from '../endpoints/endpoints.repository';
import { PublishedEventResponse } from './dto/event.response';
import { parsePublishBody } from './dto/parse-publish-body';
import { EventsService } from './events.service';
import { rawJsonMember } from './raw-json-member';

export const TEST_EVENT_TYPE = 'webhook.test';

/**
 * POST .../endpoints/{id}/test: an ordinary publish (same transaction, same delivery path)
 * whose delivery goes to that one endpoint, whatever its filter.
 */
@Injectable()
export class TestEventsService {
  constructor(
    private readonly events: EventsService,
    private readonly endpoints: EndpointsRepository,
    private readonly deliveries: DeliveriesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async send(tenantId: string, endpointId: string, body: unknown, rawBody: Buffer | undefined, scan: JsonScan | undefined): Promise<PublishedEventResponse & { deliveryId: string }> {
    const given = body === undefined || body === null ? {} : body;
    const record = typeof given === 'object' && !Array.isArray(given) ? (given as Record<string, unknown>) : null;
    const withDefaults = record === null ? given : {
      ...record,
      type: record.type ?? TEST_EVENT_TYPE,
      data: record.data ?? { message: 'A test event sent from the webhooks portal.', sentAt: new Date().toISOString() },
    };
    const { type, data } = parsePublishBody(withDefaults, { maxJsonDepth: this.config.maxJsonDepth, scan });
    const dataJson = (record?.data !== undefined && rawBody && rawJsonMember(rawBody.toString('utf8'), 'data')) || JSON.stringify(data);

    const endpoint = await this.endpoints.find(tenantId, endpointId);
    if (!endpoint) throw new NotFoundError('endpoint');
    if (!endpoint.enabled) throw new ConflictError('the endpoint is disabled: enable it before sending a test event');
    const [published] = await this.events.publishAll(tenantId, [{ type, data, dataJson, idempotencyKey: null, onlyEndpointId: endpointId }]);
    const [delivery] = await this.deliveries.forEvent(published.id, 1);
    // Deleted or disabled between the check and the publish: the event was written with no delivery.
    if (!delivery) throw new ConflictError('the endpoint was disabled or deleted while the test event was sent');
    return { ...published, deliveryId: delivery.id };
  }
}
