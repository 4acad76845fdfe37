import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764200000000 implements MigrationInterface {
  name = 'InitialSchema1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table tenants (
        id text primary key,
        name text not null,
        created_at timestamptz not null default now()
      )`);
    await q.query(`
      create table api_keys (
        id text primary key,
        tenant_id text not null references tenants(id) on delete cascade,
        name text,
        key_hash text not null unique,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      )`);
    await q.query(`create index api_keys_tenant_idx on api_keys (tenant_id, id desc)`);
    await q.query(`
      create table endpoints (
        id text primary key,
        tenant_id text not null references tenants(id) on delete cascade,
        url text not null,
        description text,
        event_types text[] not null default '{}',
        enabled boolean not null default true,
        disabled_reason text,
        secret text not null,
        previous_secrets jsonb not null default '[]',
        signature_scheme text not null default 'standard-webhooks',
        headers jsonb not null default '{}',
        summaries boolean not null default true,
        rate_limit_per_second integer,
        failing_since timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        deleted_at timestamptz
      )`);
    await q.query(`create index endpoints_tenant_idx on endpoints (tenant_id, id desc) where deleted_at is null`);
    await q.query(`
      create table events (
        id text primary key,
        tenant_id text not null references tenants(id) on delete cascade,
        type text not null,
        data json,
        summary jsonb,
        created_at timestamptz not null default now(),
        expired_at timestamptz
      )`);
    await q.query(`create index events_tenant_idx on events (tenant_id, id desc)`);
    await q.query(`create index events_tenant_type_idx on events (tenant_id, type, id desc)`);
    await q.query(`
      create table idempotency_keys (
        tenant_id text not null references tenants(id) on delete cascade,
        key text not null,
        event_id text not null,
        created_at timestamptz not null default now(),
        primary key (tenant_id, key)
      )`);
    await q.query(`
      create table deliveries (
        id text primary key,
        tenant_id text not null references tenants(id) on delete cascade,
        event_id text not null references events(id) on delete cascade,
        endpoint_id text not null references endpoints(id) on delete cascade,
        event_type text not null,
        status text not null default 'pending',
        attempt_count integer not null default 0,
        scheduled_attempts integer not null default 0,
        next_attempt_at timestamptz,
        last_attempt_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`);
    await q.query(`create index deliveries_tenant_idx on deliveries (tenant_id, id desc)`);
    await q.query(`create index deliveries_endpoint_idx on deliveries (endpoint_id, id desc)`);
    await q.query(`create index deliveries_event_idx on deliveries (event_id)`);
    // No index holds status or the attempt columns, and pages keep free room: recording an
    // attempt is then a HOT update that writes no index entry.
    await q.query(`alter table deliveries set (fillfactor = 70)`);
    await q.query(`
      create table attempts (
        id text primary key,
        delivery_id text not null references deliveries(id) on delete cascade,
        number integer not null,
        trigger text not null,
        started_at timestamptz not null,
        duration_ms integer not null,
        request_url text not null,
        response_status integer,
        response_body text,
        response_body_encoding text,
        response_body_truncated boolean not null default false,
        error text,
        expired_at timestamptz
      )`);
    await q.query(`create index attempts_delivery_idx on attempts (delivery_id, number)`);
    await q.query(`create index attempts_started_idx on attempts (started_at) where response_body is not null`);
    await q.query(`
      create table worker_heartbeats (
        process_id text primary key,
        worker_ids text[] not null default '{}',
        last_seen timestamptz not null default now()
      )`);
    await q.query(`
      create table endpoint_rate_windows (
        endpoint_id text not null,
        window_start timestamptz not null,
        count integer not null,
        primary key (endpoint_id, window_start)
      )`);
    await q.query(`
      create table summary_cache (
        key text primary key,
        text text not null,
        model text not null,
        created_at timestamptz not null default now()
      )`);
    await q.query(`
      create table llm_token_usage (
        tenant_id text not null,
        day date not null,
        used bigint not null default 0,
        primary key (tenant_id, day)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['llm_token_usage', 'summary_cache', 'endpoint_rate_windows', 'worker_heartbeats', 'attempts', 'deliveries', 'idempotency_keys', 'events', 'endpoints', 'api_keys', 'tenants']) {
      await q.query(`drop table if exists ${table}`);
    }
  }
}
