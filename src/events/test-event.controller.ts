import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS } from '../common/api-docs';
import { PortalRoutes } from '../auth/auth.decorators';
import { IdParam, TenantIdParam } from '../common/id-param';
import { TestEventResponse } from './dto/event.response';
import { TestEventDto } from './dto/publish-event.dto';
import { TestEventsService } from './test-events.service';

@ApiTags('endpoints')
@ApiBearerAuth()
@PortalRoutes()
@Controller('v1/tenants/:tenantId/endpoints/:id/test')
export class TestEventController {
  constructor(private readonly tests: TestEventsService) {}

  @Post()
  @HttpCode(202)
  @ApiBody({ type: TestEventDto, required: false })
  @ApiOperation({ summary: 'Send a test event (type webhook.test by default) to this endpoint only' })
  @ApiAcceptedResponse({ type: TestEventResponse })
  @ApiErrors(401, 403, 404, ...BODY_ERRORS)
  send(
    @TenantIdParam() tenantId: string,
    @IdParam('id', 'endpoint') endpointId: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest & { rawBody?: Buffer },
  ) {
    return this.tests.send(tenantId, endpointId, body, request.rawBody, request.jsonScan);
  }
}
