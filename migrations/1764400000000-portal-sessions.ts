import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant portal (SPEC §11). A session is a short-lived bearer token (`pts_...`) for one
 * tenant, stored only as its SHA-256 like an API key. Attempts learn their endpoint, so an
 * endpoint's stats are one index range scan (endpoint, time) instead of a walk over every
 * delivery it ever had, and keep the few request headers that differ per attempt (timestamp
 * and signatures); the body is rebuilt from the event, never stored twice.
 */
export class PortalSessions1764400000000 implements MigrationInterface {
  name = 'PortalSessions1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table portal_sessions (
        id text primary key,
        tenant_id text not null references tenants(id) on delete cascade,
        token_hash text not null unique,
        read_only boolean not null default false,
        expires_at timestamptz not null,
        revoked_at timestamptz,
        created_at timestamptz not null default now()
      )`);
    await q.query(`create index portal_sessions_tenant_idx on portal_sessions (tenant_id, id desc)`);
    await q.query(`alter table attempts add column endpoint_id text, add column request_headers jsonb`);
    await q.query(`update attempts a set endpoint_id = d.endpoint_id from deliveries d where d.id = a.delivery_id`);
    await q.query(`create index attempts_endpoint_started_idx on attempts (endpoint_id, started_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop index if exists attempts_endpoint_started_idx`);
    await q.query(`alter table attempts drop column if exists endpoint_id, drop column if exists request_headers`);
    await q.query(`drop table if exists portal_sessions`);
  }
}
