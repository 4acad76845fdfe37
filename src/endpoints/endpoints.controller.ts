import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { IdParam, TenantIdParam } from '../common/id-param';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { PortalRoutes } from '../auth/auth.decorators';
import { ListQueryDto } from '../common/pagination';
import { CreateEndpointDto } from './dto/create-endpoint.dto';
import { RecoverDto, RotateSecretDto } from './dto/endpoint-actions.dto';
import { EndpointStatsQueryDto } from './dto/endpoint-stats.dto';
import { EndpointStatsService } from './endpoint-stats.service';
import { UpdateEndpointDto } from './dto/update-endpoint.dto';
import { EndpointsService } from './endpoints.service';

@ApiTags('endpoints')
@ApiBearerAuth()
@PortalRoutes()
@Controller('v1/tenants/:tenantId/endpoints')
export class EndpointsController {
  constructor(
    private readonly endpoints: EndpointsService,
    private readonly stats: EndpointStatsService,
  ) {}

  @Post()
  create(@TenantIdParam() tenantId: string, @Body() body: CreateEndpointDto) {
    return this.endpoints.create(tenantId, body);
  }

  @Get()
  list(@TenantIdParam() tenantId: string, @Query() query: ListQueryDto) {
    return this.endpoints.list(tenantId, query);
  }

  @Get(':id')
  get(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string) {
    return this.endpoints.get(tenantId, id);
  }

  @Patch(':id')
  update(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string, @Body() body: UpdateEndpointDto) {
    return this.endpoints.update(tenantId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string): Promise<void> {
    await this.endpoints.remove(tenantId, id);
  }

  @Get(':id/stats')
  statsOf(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string, @Query() query: EndpointStatsQueryDto) {
    return this.stats.get(tenantId, id, query);
  }

  @Get(':id/secret')
  secret(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string) {
    return this.endpoints.getSecret(tenantId, id);
  }

  @Post(':id/secret/rotate')
  @HttpCode(200)
  rotate(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string, @Body() body: RotateSecretDto) {
    return this.endpoints.rotateSecret(tenantId, id, body ?? {});
  }

  @Post(':id/enable')
  @HttpCode(200)
  enable(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string) {
    return this.endpoints.enable(tenantId, id);
  }

  @Post(':id/recover')
  @HttpCode(202)
  recover(@TenantIdParam() tenantId: string, @IdParam('id', 'endpoint') id: string, @Body() body: RecoverDto) {
    return this.endpoints.recover(tenantId, id, new Date(body.since));
  }
}
