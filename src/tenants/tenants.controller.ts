import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { IdParam, TenantIdParam } from '../common/id-param';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, BODY_ERRORS } from '../common/api-docs';
import { AdminOnly } from '../auth/auth.decorators';
import { ListQueryDto } from '../common/pagination';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { CreateTenantDto } from './dto/create-tenant.dto';
import { ApiKeyPage, CreatedApiKeyResponse, TenantPage, TenantResponse } from './dto/tenant.response';
import { TenantsService } from './tenants.service';

@ApiTags('tenants')
@ApiBearerAuth()
@AdminOnly()
@ApiErrors(401, 403)
@Controller('v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant' })
  @ApiCreatedResponse({ type: TenantResponse })
  @ApiErrors(...BODY_ERRORS)
  create(@Body() body: CreateTenantDto) {
    return this.tenants.create(body.name);
  }

  @Get()
  @ApiOperation({ summary: 'List tenants, newest first' })
  @ApiOkResponse({ type: TenantPage })
  @ApiErrors(400)
  list(@Query() query: ListQueryDto) {
    return this.tenants.list(query);
  }

  @Get(':tenantId')
  @ApiOperation({ summary: 'Get a tenant' })
  @ApiOkResponse({ type: TenantResponse })
  @ApiErrors(404)
  get(@TenantIdParam() tenantId: string) {
    return this.tenants.get(tenantId);
  }

  @Post(':tenantId/api-keys')
  @ApiOperation({ summary: 'Create an API key for the tenant (the key is shown only in this response)' })
  @ApiCreatedResponse({ type: CreatedApiKeyResponse })
  @ApiErrors(...BODY_ERRORS, 404)
  createKey(@TenantIdParam() tenantId: string, @Body() body: CreateApiKeyDto) {
    return this.tenants.createKey(tenantId, body.name);
  }

  @Get(':tenantId/api-keys')
  @ApiOperation({ summary: 'List the tenant\'s API keys (without the keys themselves)' })
  @ApiOkResponse({ type: ApiKeyPage })
  @ApiErrors(400, 404)
  listKeys(@TenantIdParam() tenantId: string, @Query() query: ListQueryDto) {
    return this.tenants.listKeys(tenantId, query);
  }

  @Delete(':tenantId/api-keys/:keyId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key: it stops working at once' })
  @ApiNoContentResponse({ description: 'Revoked' })
  @ApiErrors(404)
  async revokeKey(@TenantIdParam() tenantId: string, @IdParam('keyId', 'api key') keyId: string): Promise<void> {
    await this.tenants.revokeKey(tenantId, keyId);
  }
}
