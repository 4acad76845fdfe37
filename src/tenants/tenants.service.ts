import { Injectable } from '@nestjs/common';
import { ApiKeyRow, ApiKeysRepository } from '../auth/api-keys.repository';
import { generateTenantKey, hashKey } from '../auth/tokens';
import { NotFoundError } from '../common/errors';
import { newId } from '../common/ids';
import { ListQueryDto, Page, decodeCursor, pageLimit, toPage } from '../common/pagination';
import { ApiKeyResponse, CreatedApiKeyResponse, TenantResponse } from './dto/tenant.response';
import { TenantRow, TenantsRepository } from './tenants.repository';

@Injectable()
export class TenantsService {
  constructor(
    private readonly tenants: TenantsRepository,
    private readonly apiKeys: ApiKeysRepository,
  ) {}

  async create(name: string): Promise<TenantResponse> {
    const row = await this.tenants.insert(newId('ten'), name);
    return toTenant(row!);
  }

  async get(id: string): Promise<TenantResponse> {
    return toTenant(await this.require(id));
  }

  async list(query: ListQueryDto): Promise<Page<TenantResponse>> {
    const limit = pageLimit(query);
    return toPage(await this.tenants.list(limit + 1, decodeCursor(query.cursor)), limit, toTenant);
  }

  async createKey(tenantId: string, name: string | undefined): Promise<CreatedApiKeyResponse> {
    await this.require(tenantId);
    const key = generateTenantKey();
    const row = await this.apiKeys.insert(newId('key'), tenantId, name ?? null, hashKey(key));
    return { ...toApiKey(row!), key };
  }

  async listKeys(tenantId: string, query: ListQueryDto): Promise<Page<ApiKeyResponse>> {
    await this.require(tenantId);
    const limit = pageLimit(query);
    return toPage(await this.apiKeys.list(tenantId, limit + 1, decodeCursor(query.cursor)), limit, toApiKey);
  }

  async revokeKey(tenantId: string, keyId: string): Promise<void> {
    if (!(await this.apiKeys.revoke(tenantId, keyId))) throw new NotFoundError('api key');
  }

  private async require(id: string): Promise<TenantRow> {
    const row = await this.tenants.find(id);
    if (!row) throw new NotFoundError('tenant');
    return row;
  }
}

function toTenant(row: TenantRow): TenantResponse {
  return { id: row.id, name: row.name, createdAt: row.created_at.toISOString() };
}

function toApiKey(row: ApiKeyRow): ApiKeyResponse {
  return { id: row.id, tenantId: row.tenant_id, name: row.name, createdAt: row.created_at.toISOString() };
}
