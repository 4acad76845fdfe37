import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { DeliveriesService } from './deliveries.service';
import { ListDeliveriesDto } from './dto/list-deliveries.dto';

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('v1/tenants/:tenantId/deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  list(@Param('tenantId') tenantId: string, @Query() query: ListDeliveriesDto) {
    return this.deliveries.list(tenantId, query);
  }

  @Get(':id')
  get(@Param('tenantId') tenantId: string, @Param('id') id: string) {
    return this.deliveries.get(tenantId, id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  retry(@Param('tenantId') tenantId: string, @Param('id') id: string) {
    return this.deliveries.retry(tenantId, id);
  }
}
