/**
 * Seed SQL for `npm run bench -- --scale` (issue 9, point 7): grows one tenant's delivery log
 * directly in SQL, in batches, with rows shaped as the service writes them. All of it is in
 * this file so a schema change (side tables, partitions) is adapted in one place.
 *
 * STATUS: first draft, not yet run end to end (see the commit message).
 */
import { Client } from 'pg';

/**
 * bench_ schema: bench_.id_at(prefix, ts, salt) builds the service's id layout (src/common/ids.ts):
 * prefix '_' + 10 Crockford base32 chars of the ms time + 16 random chars, so ids sort with created_at.
 */
export const SEED_FUNCTIONS_SQL = `
create schema if not exists bench_;
create or replace function bench_.b32_time(ms bigint) returns text language sql immutable as $$
  select string_agg(substr('0123456789abcdefghjkmnpqrstvwxyz', ((ms >> (5 * (9 - i))) & 31)::int + 1, 1), '' order by i)
    from generate_series(0, 9) i
$$;
create or replace function bench_.b32_random(n int) returns text language sql volatile as $$
  select string_agg(substr('0123456789abcdefghjkmnpqrstvwxyz', (floor(random() * 32))::int + 1, 1), '')
    from generate_series(1, n)
$$;
create or replace function bench_.id_at(prefix text, ts timestamptz) returns text language sql volatile as $$
  select prefix || '_' || bench_.b32_time((extract(epoch from ts) * 1000)::bigint) || bench_.b32_random(16)
$$;
`;

/** Columns of a table, resolved at run time (the schema moves while the issue is worked on). */
export async function columnsOf(client: Client, table: string): Promise<Set<string>> {
  const { rows } = await client.query<{ column_name: string }>(
    `select column_name from information_schema.columns where table_schema = current_schema() and table_name = $1`, [table]);
  return new Set(rows.map((r) => r.column_name));
}

export interface SeedBatch {
  tenantId: string;
  endpointIds: string[];
  /** Deliveries to add in this batch, and the time span they cover (oldest first). */
  count: number;
  from: Date;
  to: Date;
  eventTypes: string[];
  /** Share of failed deliveries (8 attempts each), e.g. 0.005. */
  failedShare: number;
}

/**
 * One statement per table for a batch: events (1 -> 1 mostly; every 50th event fans out to 3
 * endpoints), deliveries, attempts. Only columns present in the table are written.
 * Not yet validated against the running schema.
 */
export async function seedBatch(client: Client, b: SeedBatch): Promise<void> {
  const attemptCols = await columnsOf(client, 'attempts');
  await client.query('begin');
  try {
    await client.query(`
      create temp table bench_batch on commit drop as
      select g, $3::timestamptz + (g::float8 / $2) * ($4::timestamptz - $3::timestamptz) as ts
        from generate_series(0, $2 - 1) g`, [b.tenantId, b.count, b.from, b.to]);
    await client.query(`
      alter table bench_batch add column event_id text, add column delivery_id text, add column endpoint_id text,
        add column type text, add column status text`);
    await client.query(`
      update bench_batch set event_id = bench_.id_at('evt', ts),
        endpoint_id = ($1::text[])[1 + g % array_length($1::text[], 1)],
        type = ($2::text[])[1 + (g * 7) % array_length($2::text[], 1)],
        status = case when random() < $3 then 'failed' else 'succeeded' end`, [b.endpointIds, b.eventTypes, b.failedShare]);
    await client.query(`update bench_batch set delivery_id = 'dlv_' || substr(event_id, 5, 10) || substr(event_id, 18, 13) || '000'`);
    await client.query(`
      insert into events (id, tenant_id, type, data, summary, created_at)
      select event_id, $1, type, json_build_object('invoiceId', 'in_' || g, 'amount', 1000 + g % 9000, 'currency', 'EUR'),
             jsonb_build_object('text', 'Invoice paid', 'source', 'offline', 'model', null), ts
        from bench_batch`, [b.tenantId]);
    await client.query(`
      insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, status, attempt_count, scheduled_attempts,
                              next_attempt_at, last_attempt_at, created_at, updated_at)
      select delivery_id, $1, event_id, endpoint_id, type, status,
             case when status = 'failed' then 8 else 1 end, case when status = 'failed' then 8 else 1 end,
             null, ts + interval '5 ms', ts, ts + interval '5 ms'
        from bench_batch`, [b.tenantId]);
    const extraCols = ['endpoint_id'].filter((c) => attemptCols.has(c));
    await client.query(`
      insert into attempts (id, delivery_id, number, trigger, started_at, duration_ms, request_url, response_status,
                            response_body, response_body_encoding, response_body_truncated, error${extraCols.map((c) => `, ${c}`).join('')})
      select bench_.id_at('att', ts + n * interval '1 minute'), delivery_id, n, 'scheduled', ts + n * interval '1 minute', 3,
             'http://127.0.0.1/bench', case when status = 'failed' then 500 else 200 end,
             case when status = 'failed' then 'error' else 'ok' end, 'utf8', false, null${extraCols.map((c) => `, ${c}`).join('')}
        from bench_batch, generate_series(1, case when status = 'failed' then 8 else 1 end) n`);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  }
}
