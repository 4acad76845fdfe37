import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { IdParam, TenantIdParam } from '../common/id-param';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../auth/auth.decorators';
import { ListQueryDto } from '../common/pagination';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { CreateTenantDto } from './dto/create-tenant.dto';
import { TenantsService } from './tenants.service';

@ApiTags('tenants')
@ApiBearerAuth()
@AdminOnly()
@Controller('v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  create(@Body() body: CreateTenantDto) {
    return this.tenants.create(body.name);
  }

  @Get()
  list(@Query() query: ListQueryDto) {
    return this.tenants.list(query);
  }

  @Get(':tenantId')
  get(@TenantIdParam() tenantId: string) {
    return this.tenants.get(tenantId);
  }

  @Post(':tenantId/api-keys')
  createKey(@TenantIdParam() tenantId: string, @Body() body: CreateApiKeyDto) {
    return this.tenants.createKey(tenantId, body.name);
  }

  @Get(':tenantId/api-keys')
  listKeys(@TenantIdParam() tenantId: string, @Query() query: ListQueryDto) {
    return this.tenants.listKeys(tenantId, query);
  }

  @Delete(':tenantId/api-keys/:keyId')
  @HttpCode(204)
  async revokeKey(@TenantIdParam() tenantId: string, @IdParam('keyId', 'api key') keyId: string): Promise<void> {
    await this.tenants.revokeKey(tenantId, keyId);
  }
}
