import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { IdParam, TenantIdParam } from '../common/id-param';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS } from '../common/api-docs';
import { PortalRoutes } from '../auth/auth.decorators';
import { ListQueryDto } from '../common/pagination';
import { CreateEndpointDto } from './dto/create-endpoint.dto';
import { RecoverDto, RotateSecretDto } from './dto/endpoint-actions.dto';
import { EndpointStatsQueryDto } from './dto/endpoint-stats.dto';
import { EndpointPage, EndpointResponse, EndpointSecretResponse, EndpointStatsResponse, RecoverResponse } from './dto/endpoint.response';
import { EndpointStatsService } from './endpoint-stats.service';
import { UpdateEndpointDto } from './dto/update-endpoint.dto';
import { EndpointsService } from './endpoints.service';

@ApiTags('endpoints')
@ApiBearerAuth()
@PortalRoutes()
@ApiErrors(401, 404)
@Controller('v1/tenants/:tenantId/endpoints')
export class EndpointsController {
  constructor(
    private readonly endpoints: EndpointsService,
    private readonly stats: EndpointStatsService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create an endpoint' })
  @ApiCreatedResponse({ type: EndpointResponse, description: 'The endpoint, without its secret' })
  @ApiErrors(403, ...BODY_ERRORS, 409)
  create(@TenantIdParam() tenantId: string, @Body() body: CreateEndpointDto) {
    return this.endpoints.create(tenantId, body);
  }

  @Get()
  @ApiOperation({ summary: 'List the tenant\'s endpoints, newest first' })
  @ApiOkResponse({ type: EndpointPage })
  @ApiErrors(400)
  list(@TenantIdParam() tenantId: string, @Query() query: ListQueryDto) {
    return this.endpoints.list(tenantId, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an endpoint' })
  @ApiOkResponse({ type: EndpointResponse })
  get(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string) {
    return this.endpoints.get(tenantId, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change an endpoint (any subset of the fields of create)' })
  @ApiOkResponse({ type: EndpointResponse })
  @ApiErrors(403, ...BODY_ERRORS)
  update(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string, @Body() body: UpdateEndpointDto) {
    return this.endpoints.update(tenantId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint: its pending deliveries become cancelled' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(403)
  async remove(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string): Promise<void> {
    await this.endpoints.remove(tenantId, id);
  }

  @Get(':id/stats')
  @ApiOperation({ summary: 'The endpoint\'s attempts over time: successes, failures and latency per bucket' })
  @ApiOkResponse({ type: EndpointStatsResponse })
  @ApiErrors(400)
  statsOf(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string, @Query() query: EndpointStatsQueryDto) {
    return this.stats.get(tenantId, id, query);
  }

  @Get(':id/secret')
  @ApiOperation({ summary: 'Reveal the endpoint\'s signing secret' })
  @ApiOkResponse({ type: EndpointSecretResponse })
  secret(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string) {
    return this.endpoints.getSecret(tenantId, id);
  }

  @Post(':id/secret/rotate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate the signing secret; during the grace period deliveries carry both signatures' })
  @ApiOkResponse({ type: EndpointSecretResponse, description: 'The new secret' })
  @ApiBody({ type: RotateSecretDto, required: false })
  @ApiErrors(403, ...BODY_ERRORS)
  rotate(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string, @Body() body: RotateSecretDto) {
    return this.endpoints.rotateSecret(tenantId, id, body ?? {});
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable the endpoint again, its failure history cleared' })
  @ApiOkResponse({ type: EndpointResponse })
  @ApiErrors(403)
  enable(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string) {
    return this.endpoints.enable(tenantId, id);
  }

  @Post(':id/recover')
  @HttpCode(202)
  @ApiOperation({ summary: 'Attempt every failed delivery of this endpoint since a time again' })
  @ApiAcceptedResponse({ type: RecoverResponse })
  @ApiErrors(403, ...BODY_ERRORS)
  recover(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string, @Body() body: RecoverDto) {
    return this.endpoints.recover(tenantId, id, new Date(body.since));
  }
}
