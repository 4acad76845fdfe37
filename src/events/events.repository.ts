import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { ENQUEUE_SQL } from '../deliveries/delivery-jobs';
import { MATCHES_EVENT_TYPE_SQL } from '../endpoints/event-type-filter';

export interface EventRow {
  id: string;
  tenant_id: string;
  type: string;
  data: Record<string, unknown> | null;
  summary: { text: string; source: 'llm' | 'offline'; model: string | null } | null;
  created_at: Date;
  expired_at: Date | null;
}

export interface PublishedRow {
  id: string | null;
  created_at: Date | null;
  deliveries: number;
}

export interface EventFilter {
  type?: string;
  since?: string;
  until?: string;
}

const B32 = `'0123456789abcdefghjkmnpqrstvwxyz'`;
const b32Digit = (expr: string) => `substr(${B32}, ((${expr}) % 32)::int + 1, 1)`;

/**
 * Publish in ONE statement: idempotency key, event, one delivery per matching enabled
 * endpoint and their graphile-worker jobs all commit together or not at all.
 * Delivery ids derive from the event id (its time part, 13 of its random characters, and
 * a 3-character index), so they stay unique and time-sortable without a round trip.
 * With an idempotency key seen in the last 24 h nothing is written and `id` comes back null.
 */
const PUBLISH_SQL = `
with idem as (
  insert into idempotency_keys (tenant_id, key, event_id)
  select $2, $5, $1 where $5::text is not null
  on conflict (tenant_id, key) do update set event_id = excluded.event_id, created_at = now()
    where idempotency_keys.created_at < now() - interval '24 hours'
  returning event_id
), ev as (
  insert into events (id, tenant_id, type, data)
  select $1, $2, $3, $4::json where $5::text is null or exists (select 1 from idem)
  returning id, created_at
), eps as (
  select id, (row_number() over (order by id) - 1) as rn from endpoints
   where tenant_id = $2 and enabled and deleted_at is null and exists (select 1 from ev)
     and ${MATCHES_EVENT_TYPE_SQL('$3')}
), dl as (
  insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, next_attempt_at)
  select 'dlv_' || substr($1, 5, 23) || ${b32Digit('rn / 1024')} || ${b32Digit('rn / 32')} || ${b32Digit('rn')},
         $2, $1, eps.id, $3, now()
    from eps
  returning id
), jobs as (
  ${ENQUEUE_SQL.replace('$1::text[]', '(select array_agg(id) from dl)')
    .replace('$2::int[]', '(select array_agg(1) from dl)')
    .replace('$3::timestamptz[]', '(select array_agg(null::timestamptz) from dl)')}
)
select (select id from ev) as id, (select created_at from ev) as created_at,
       (select count(*) from dl)::int as deliveries, (select count(*) from jobs)::int as _jobs`;

@Injectable()
export class EventsRepository {
  constructor(private readonly db: Db) {}

  async publish(id: string, tenantId: string, type: string, dataJson: string, idempotencyKey: string | null): Promise<PublishedRow> {
    const row = await this.db.one<PublishedRow>(PUBLISH_SQL, [id, tenantId, type, dataJson, idempotencyKey]);
    return row!;
  }

  findByIdempotencyKey(tenantId: string, key: string): Promise<{ id: string; type: string; created_at: Date; deliveries: number } | null> {
    return this.db.one(
      `select e.id, e.type, e.created_at, (select count(*) from deliveries d where d.event_id = e.id)::int as deliveries
         from idempotency_keys k join events e on e.id = k.event_id
        where k.tenant_id = $1 and k.key = $2`,
      [tenantId, key],
    );
  }

  find(tenantId: string, id: string): Promise<EventRow | null> {
    return this.db.one<EventRow>(
      `select id, tenant_id, type, data, summary, created_at, expired_at from events where tenant_id = $1 and id = $2`, [tenantId, id]);
  }

  list(tenantId: string, filter: EventFilter, limit: number, before: string | null): Promise<EventRow[]> {
    return this.db.query<EventRow>(
      `select id, tenant_id, type, data, summary, created_at, expired_at from events
        where tenant_id = $1
          and ($2::text is null or type = $2)
          and ($3::timestamptz is null or created_at >= $3)
          and ($4::timestamptz is null or created_at < $4)
          and ($5::text is null or id < $5)
        order by id desc limit $6`,
      [tenantId, filter.type ?? null, filter.since ?? null, filter.until ?? null, before, limit],
    );
  }
}
