import { Injectable } from '@nestjs/common';
import { deliveryIdSql, deliveryIdsOfSql, idBounds } from '../common/ids';
import { Db } from '../database/db';
import { PAYLOAD_OF } from '../database/log-partitions';
import { addDrainJobsSql } from '../queue/queue';
import { MATCHES_EVENT_TYPE_SQL } from '../endpoints/event-type-filter';
import type { Summary } from '../summaries/summary.engine';

export interface EventRow {
  id: string;
  tenant_id: string;
  type: string;
  /** The stored text of data, exactly as published; null once expired (its day's partition dropped). */
  data_json: string | null;
  summary: Summary | null;
  created_at: Date;
}

const EVENT_COLUMNS = `e.id, e.tenant_id, e.type, ${PAYLOAD_OF('e.id')} as data_json, e.summary, e.created_at`;

export interface EventFilter {
  type?: string;
  since?: string;
  until?: string;
}

/**
 * Publish a batch in ONE statement: idempotency keys, events, one delivery per matching
 * enabled endpoint, its queued first attempt and a drain job per endpoint all commit together
 * or not at all.
 * Delivery ids derive from the event id (deliveryIdSql). A row whose tenant
 * does not exist, or whose idempotency key was used in the last 24 h, writes nothing.
 */
const PUBLISH_BATCH_SQL = `
with input as (
  select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
    as t(id, tenant_id, type, data, idem_key, summary, only_endpoint)
), known as (
  select i.* from input i where exists (select 1 from tenants t where t.id = i.tenant_id)
), idem as (
  insert into idempotency_keys (tenant_id, key, event_id)
  -- in key order, so two batches holding the same keys lock them in the same order (no deadlock)
  select tenant_id, idem_key, id from known where idem_key is not null order by tenant_id, idem_key
  on conflict (tenant_id, key) do update set event_id = excluded.event_id, created_at = now()
    where idempotency_keys.created_at < now() - interval '24 hours'
  returning event_id
), accepted as (
  select k.* from known k where k.idem_key is null or k.id in (select event_id from idem)
), ev as (
  insert into events (id, tenant_id, type, summary)
  select id, tenant_id, type, summary::jsonb from accepted
  returning id, created_at
), payload as (
  -- the payload lives in its day's partition, which retention drops whole (src/database/log-partitions.ts)
  insert into event_payloads (event_id, data)
  select id, data::json from accepted
), eps as (
  select a.id as event_id, a.tenant_id, a.type, e.id as endpoint_id,
         row_number() over (partition by a.id order by e.id) - 1 as rn
    from accepted a
    join endpoints e on e.tenant_id = a.tenant_id and e.enabled and e.deleted_at is null
   -- a test event (only_endpoint) goes to that endpoint alone, whatever its filter
   where (a.only_endpoint is null and ${MATCHES_EVENT_TYPE_SQL('a.type')}) or e.id = a.only_endpoint
), dl as (
  insert into deliveries (id, tenant_id, event_id, endpoint_id, event_type, next_attempt_at)
  select ${deliveryIdSql('event_id', 'rn')},
         tenant_id, event_id, endpoint_id, type, now()
    from eps
  returning id, event_id, endpoint_id, tenant_id
), q as (
  insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at)
  select id, 1, endpoint_id, tenant_id, now() from dl
  returning endpoint_id
), leased as (
  -- Endpoints a process drains now find the new work themselves. The key-share lock makes a
  -- release of the lease wait for this commit, and the releaser then sees this work.
  select endpoint_id from endpoint_drains where endpoint_id in (select endpoint_id from q)
   order by endpoint_id
     for key share
), wake as (
  -- one drain job per other endpoint that got work; one whose circuit is open wakes at its probe
  select distinct q.endpoint_id,
         case when e.circuit_state = 'open' then greatest(now(), e.circuit_next_probe_at) else now() end as run_at
    from q join endpoints e on e.id = q.endpoint_id
   where q.endpoint_id not in (select endpoint_id from leased)
), jobs as (
  select ${addDrainJobsSql('wake')}
   where exists (select 1 from wake)
), counts as (
  select event_id, count(*)::int as n from dl group by event_id
)
select i.id, (k.id is not null) as tenant_known, ev.created_at, coalesce(c.n, 0) as deliveries,
       (select count(*) from jobs)::int as _jobs
  from input i
  left join known k on k.id = i.id
  left join ev on ev.id = i.id
  left join counts c on c.event_id = i.id`;

export interface PublishRequest {
  id: string;
  tenantId: string;
  type: string;
  dataJson: string;
  idempotencyKey: string | null;
  /** Set at publish when no model is configured: the offline summary is a pure function of the event. */
  summary: EventRow['summary'];
  /** A test event (POST .../endpoints/{id}/test): delivered to this endpoint only. */
  onlyEndpointId?: string;
}

export interface PublishOutcome {
  tenantKnown: boolean;
  /** null when nothing was written (unknown tenant or a repeated idempotency key) */
  createdAt: Date | null;
  deliveries: number;
}

@Injectable()
export class EventsRepository {
  constructor(private readonly db: Db) {}

  async publishBatch(requests: PublishRequest[]): Promise<Map<string, PublishOutcome>> {
    const rows = await this.db.prepared<{ id: string; tenant_known: boolean; created_at: Date | null; deliveries: number }>('events_publish', PUBLISH_BATCH_SQL, [
      requests.map((r) => r.id), requests.map((r) => r.tenantId), requests.map((r) => r.type),
      requests.map((r) => r.dataJson), requests.map((r) => r.idempotencyKey),
      requests.map((r) => (r.summary ? JSON.stringify(r.summary) : null)), requests.map((r) => r.onlyEndpointId ?? null),
    ]);
    return new Map(rows.map((r) => [r.id, { tenantKnown: r.tenant_known, createdAt: r.created_at, deliveries: r.deliveries }]));
  }

  findByIdempotencyKey(tenantId: string, key: string): Promise<{ id: string; type: string; created_at: Date; deliveries: number } | null> {
    return this.db.one(
      `select e.id, e.type, e.created_at,
              (select count(*) from deliveries d where d.event_id = e.id and ${deliveryIdsOfSql('d.id', 'e.id')})::int as deliveries
         from idempotency_keys k join events e on e.id = k.event_id
        where k.tenant_id = $1 and k.key = $2`,
      [tenantId, key],
    );
  }

  find(tenantId: string, id: string): Promise<EventRow | null> {
    return this.db.one<EventRow>(
      `select ${EVENT_COLUMNS} from events e where e.tenant_id = $1 and e.id = $2`, [tenantId, id]);
  }

  /**
   * Two statements, one per index (with a type, the tenant's log), so no plan depends on which
   * filters are null; time filters bound the id as in the delivery log.
   */
  list(tenantId: string, filter: EventFilter, limit: number, before: string | null): Promise<EventRow[]> {
    const { low, high } = idBounds('evt', filter.since, filter.until, before);
    const byType = filter.type !== undefined;
    return this.db.preparedIndexRead<EventRow>(
      byType ? 'events_list_type' : 'events_list',
      `select ${EVENT_COLUMNS} from events e
        where tenant_id = $1 ${byType ? 'and type = $2' : 'and $2::text is null'}
          and ($3::timestamptz is null or created_at >= $3)
          and ($4::timestamptz is null or created_at < $4)
          and ($5::text is null or id < $5)
          and ($7::text is null or id >= $7)
        order by tenant_id desc, ${byType ? 'type desc, ' : ''}id desc limit $6`,
      [tenantId, filter.type ?? null, filter.since ?? null, filter.until ?? null, high, limit, low],
    );
  }
}
