import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { IdParam, TenantIdParam } from '../common/id-param';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { PortalRoutes } from '../auth/auth.decorators';
import { DeliveriesService } from './deliveries.service';
import { ListDeliveriesDto } from './dto/list-deliveries.dto';

@ApiTags('deliveries')
@ApiBearerAuth()
@PortalRoutes()
@Controller('v1/tenants/:tenantId/deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  list(@TenantIdParam() tenantId: string, @Query() query: ListDeliveriesDto) {
    return this.deliveries.list(tenantId, query);
  }

  @Get(':id')
  get(@TenantIdParam() tenantId: string, @IdParam('id', 'delivery') id: string) {
    return this.deliveries.get(tenantId, id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  retry(@TenantIdParam() tenantId: string, @IdParam('id', 'delivery') id: string) {
    return this.deliveries.retry(tenantId, id);
  }
}
