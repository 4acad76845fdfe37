import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';

export interface PortalSessionRow {
  id: string;
  tenant_id: string;
  read_only: boolean;
  expires_at: Date;
  created_at: Date;
}

/** What the guard learns from a token's hash: a live session, or why it is not one. */
export type PortalSessionLookup =
  | { state: 'active'; id: string; tenant_id: string; read_only: boolean }
  | { state: 'expired' | 'revoked' | 'unknown' };

@Injectable()
export class PortalSessionsRepository {
  constructor(private readonly db: Db) {}

  async findByHash(tokenHash: string): Promise<PortalSessionLookup> {
    const row = await this.db.one<{ id: string; tenant_id: string; read_only: boolean; revoked: boolean; expired: boolean }>(
      `select id, tenant_id, read_only, revoked_at is not null as revoked, expires_at <= now() as expired
         from portal_sessions where token_hash = $1`,
      [tokenHash]);
    if (!row) return { state: 'unknown' };
    if (row.revoked) return { state: 'revoked' };
    if (row.expired) return { state: 'expired' };
    return { state: 'active', id: row.id, tenant_id: row.tenant_id, read_only: row.read_only };
  }

  /** null when the tenant does not exist. */
  insert(id: string, tenantId: string, tokenHash: string, readOnly: boolean, ttlMs: number): Promise<PortalSessionRow | null> {
    return this.db.one<PortalSessionRow>(
      `insert into portal_sessions (id, tenant_id, token_hash, read_only, expires_at)
       select $1, t.id, $3, $4, now() + $5::bigint * interval '1 millisecond' from tenants t where t.id = $2
       returning id, tenant_id, read_only, expires_at, created_at`,
      [id, tenantId, tokenHash, readOnly, ttlMs]);
  }

  async revoke(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.db.query(
      `update portal_sessions set revoked_at = coalesce(revoked_at, now()) where tenant_id = $1 and id = $2 returning id`,
      [tenantId, id]);
    return rows.length > 0;
  }
}
