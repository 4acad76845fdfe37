import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { ListQueryDto } from '../common/pagination';
import { CreateEndpointDto } from './dto/create-endpoint.dto';
import { RecoverDto, RotateSecretDto } from './dto/endpoint-actions.dto';
import { UpdateEndpointDto } from './dto/update-endpoint.dto';
import { EndpointsService } from './endpoints.service';

@ApiTags('endpoints')
@ApiBearerAuth()
@Controller('v1/tenants/:tenantId/endpoints')
export class EndpointsController {
  constructor(private readonly endpoints: EndpointsService) {}

  @Post()
  create(@Param('tenantId') tenantId: string, @Body() body: CreateEndpointDto) {
    return this.endpoints.create(tenantId, body);
  }

  @Get()
  list(@Param('tenantId') tenantId: string, @Query() query: ListQueryDto) {
    return this.endpoints.list(tenantId, query);
  }

  @Get(':id')
  get(@Param('tenantId') tenantId: string, @Param('id') id: string) {
    return this.endpoints.get(tenantId, id);
  }

  @Patch(':id')
  update(@Param('tenantId') tenantId: string, @Param('id') id: string, @Body() body: UpdateEndpointDto) {
    return this.endpoints.update(tenantId, id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('tenantId') tenantId: string, @Param('id') id: string): Promise<void> {
    await this.endpoints.remove(tenantId, id);
  }

  @Get(':id/secret')
  secret(@Param('tenantId') tenantId: string, @Param('id') id: string) {
    return this.endpoints.getSecret(tenantId, id);
  }

  @Post(':id/secret/rotate')
  @HttpCode(200)
  rotate(@Param('tenantId') tenantId: string, @Param('id') id: string, @Body() body: RotateSecretDto) {
    return this.endpoints.rotateSecret(tenantId, id, body ?? {});
  }

  @Post(':id/enable')
  @HttpCode(200)
  enable(@Param('tenantId') tenantId: string, @Param('id') id: string) {
    return this.endpoints.enable(tenantId, id);
  }

  @Post(':id/recover')
  @HttpCode(202)
  recover(@Param('tenantId') tenantId: string, @Param('id') id: string, @Body() body: RecoverDto) {
    return this.endpoints.recover(tenantId, id, new Date(body.since));
  }
}
