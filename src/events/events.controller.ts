import { Body, Controller, Get, Header, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { IdParam, TenantIdParam } from '../common/id-param';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS } from '../common/api-docs';
import { PortalRoutes } from '../auth/auth.decorators';
import { InvalidInputError } from '../common/errors';
import { stringifyWithRaw } from '../common/raw-json';
import { APP_CONFIG, AppConfig } from '../config/config';
import { EventDetailResponse, EventPage, PublishedEventBatchResponse, PublishedEventResponse } from './dto/event.response';
import { ListEventsDto } from './dto/list-events.dto';
import { parsePublishBatchBody, parsePublishBody } from './dto/parse-publish-body';
import { PublishEventBatchDto, PublishEventDto } from './dto/publish-event.dto';
import { EventsService } from './events.service';
import { rawJsonElements, rawJsonMember } from './raw-json-member';

@ApiTags('events')
@ApiBearerAuth()
@ApiErrors(401, 404)
@Controller('v1/tenants/:tenantId/events')
export class EventsController {
  constructor(
    private readonly events: EventsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Publish an event to every enabled endpoint of the tenant whose filter matches its type' })
  @ApiBody({ type: PublishEventDto })
  // Read from the request rather than with @Headers(), which would document the header a second time, as required.
  @ApiHeader({ name: 'Idempotency-Key', required: false, schema: { type: 'string', minLength: 1, maxLength: 255 }, description: 'the same key for the same tenant within 24 h returns the first event (same id) and creates no new deliveries' })
  @ApiAcceptedResponse({ type: PublishedEventResponse })
  @ApiErrors(...BODY_ERRORS)
  publish(
    @TenantIdParam() tenantId: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest & { rawBody?: Buffer },
  ) {
    const idempotencyKey = request.headers['idempotency-key'];
    if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || idempotencyKey.length < 1 || idempotencyKey.length > 255)) {
      throw new InvalidInputError('Idempotency-Key', 'must be 1 to 255 characters');
    }
    // Validated by hand (same rules as PublishEventDto): the global ValidationPipe skips `unknown`.
    const { type, data } = parsePublishBody(body, { maxJsonDepth: this.config.maxJsonDepth, scan: request.jsonScan });
    const dataJson = (request.rawBody && rawJsonMember(request.rawBody.toString('utf8'), 'data')) || JSON.stringify(data);
    return this.events.publish(tenantId, type, data, dataJson, idempotencyKey ?? null);
  }

  @Post('batch')
  @HttpCode(202)
  @ApiBody({ type: PublishEventBatchDto })
  @ApiOperation({ summary: 'Publish up to 100 events in one transaction: all are accepted, or none' })
  @ApiAcceptedResponse({ type: PublishedEventBatchResponse })
  @ApiErrors(...BODY_ERRORS)
  async publishBatch(@TenantIdParam() tenantId: string, @Body() body: unknown, @Req() request: FastifyRequest & { rawBody?: Buffer }) {
    const events = parsePublishBatchBody(body, { maxJsonDepth: this.config.maxJsonDepth, scan: request.jsonScan });
    const raw = request.rawBody && rawJsonMember(request.rawBody.toString('utf8'), 'events');
    const elements = raw ? rawJsonElements(raw) : null;
    const data = await this.events.publishAll(tenantId, events.map((event, i) => ({
      ...event,
      dataJson: (elements?.[i] && rawJsonMember(elements[i], 'data')) || JSON.stringify(event.data),
    })));
    return { data };
  }

  // Both reads return JSON text: `data` is spliced in as published (see common/raw-json.ts).
  // Portal sessions read the log; they publish only test events (POST .../endpoints/{id}/test).
  @Get()
  @PortalRoutes()
  @Header('content-type', 'application/json; charset=utf-8')
  @ApiOperation({ summary: 'List the tenant\'s events, newest first' })
  @ApiOkResponse({ type: EventPage })
  @ApiErrors(400)
  async list(@TenantIdParam() tenantId: string, @Query() query: ListEventsDto): Promise<string> {
    return stringifyWithRaw(await this.events.list(tenantId, query));
  }

  @Get(':id')
  @PortalRoutes()
  @Header('content-type', 'application/json; charset=utf-8')
  @ApiOperation({ summary: 'Get an event, its data byte for byte as published, and its first 100 deliveries' })
  @ApiOkResponse({ type: EventDetailResponse })
  async get(@TenantIdParam() tenantId: string, @IdParam('id', 'event') id: string): Promise<string> {
    return stringifyWithRaw(await this.events.get(tenantId, id));
  }
}
