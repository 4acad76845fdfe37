import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { IdParam, TenantIdParam } from '../common/id-param';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import { PortalRoutes } from '../auth/auth.decorators';
import { DeliveriesService } from './deliveries.service';
import { DeliveryDetailResponse, DeliveryPage, DeliveryResponse } from './dto/delivery.response';
import { ListDeliveriesDto } from './dto/list-deliveries.dto';

@ApiTags('deliveries')
@ApiBearerAuth()
@PortalRoutes()
@ApiErrors(401, 404)
@Controller('v1/tenants/:tenantId/deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  @ApiOperation({ summary: 'The delivery log: the tenant\'s deliveries, newest first' })
  @ApiOkResponse({ type: DeliveryPage })
  @ApiErrors(400)
  list(@TenantIdParam() tenantId: string, @Query() query: ListDeliveriesDto) {
    return this.deliveries.list(tenantId, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a delivery with every attempt' })
  @ApiOkResponse({ type: DeliveryDetailResponse })
  get(@TenantIdParam() tenantId: string, @IdParam('id', 'delivery') id: string) {
    return this.deliveries.get(tenantId, id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Attempt the delivery once more, now (trigger manual)' })
  @ApiAcceptedResponse({ type: DeliveryResponse })
  @ApiErrors(403, 409)
  retry(@TenantIdParam() tenantId: string, @IdParam('id', 'delivery') id: string) {
    return this.deliveries.retry(tenantId, id);
  }
}
