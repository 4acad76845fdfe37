import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';

export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  name: string | null;
  created_at: Date;
}

@Injectable()
export class ApiKeysRepository {
  constructor(private readonly db: Db) {}

  findActiveByHash(keyHash: string): Promise<{ id: string; tenant_id: string } | null> {
    return this.db.one(`select id, tenant_id from api_keys where key_hash = $1 and revoked_at is null`, [keyHash]);
  }

  insert(id: string, tenantId: string, name: string | null, keyHash: string): Promise<ApiKeyRow | null> {
    return this.db.one<ApiKeyRow>(
      `insert into api_keys (id, tenant_id, name, key_hash) values ($1, $2, $3, $4) returning id, tenant_id, name, created_at`,
      [id, tenantId, name, keyHash],
    );
  }

  list(tenantId: string, limit: number, before: string | null): Promise<ApiKeyRow[]> {
    return this.db.query<ApiKeyRow>(
      `select id, tenant_id, name, created_at from api_keys
        where tenant_id = $1 and revoked_at is null and ($2::text is null or id < $2)
        order by id desc limit $3`,
      [tenantId, before, limit],
    );
  }

  async revoke(tenantId: string, keyId: string): Promise<boolean> {
    const rows = await this.db.query(
      `update api_keys set revoked_at = now() where tenant_id = $1 and id = $2 and revoked_at is null returning id`,
      [tenantId, keyId],
    );
    return rows.length > 0;
  }
}
