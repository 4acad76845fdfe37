import { Injectable } from '@nestjs/common';
import { PoolClient } from 'pg';
import { idAtOrAfter, idBounds } from '../common/ids';
import { Db, Queryable } from '../database/db';
import { addDrainJobsSql, endQueuedDeliveries, scheduleDrains } from '../queue/queue';

/** Queued attempts a delete cancels in its own transaction; the endpoint's drain cancels the rest. */
const CANCEL_BATCH = 1000;

export interface PreviousSecret {
  secret: string;
  expiresAt: string;
}

export interface EndpointRow {
  id: string;
  tenant_id: string;
  url: string;
  description: string | null;
  event_types: string[];
  enabled: boolean;
  disabled_reason: 'manual' | 'gone' | 'failing' | null;
  secret: string;
  previous_secrets: PreviousSecret[];
  signature_scheme: 'standard-webhooks' | 'hmac-sha256-hex';
  headers: Record<string, string>;
  summaries: boolean;
  rate_limit_per_second: number | null;
  /** null = ENDPOINT_MAX_IN_FLIGHT */
  max_in_flight: number | null;
  failing_since: Date | null;
  circuit_state: 'closed' | 'open' | 'half-open';
  circuit_opened_at: Date | null;
  circuit_next_probe_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export type EndpointWrite = Omit<EndpointRow, 'created_at' | 'updated_at' | 'failing_since' | 'previous_secrets' | 'circuit_state' | 'circuit_opened_at' | 'circuit_next_probe_at'>;

const COLUMNS = `id, tenant_id, url, description, event_types, enabled, disabled_reason, secret, previous_secrets,
  signature_scheme, headers, summaries, rate_limit_per_second, max_in_flight, failing_since, circuit_state, circuit_opened_at,
  circuit_next_probe_at, created_at, updated_at`;

@Injectable()
export class EndpointsRepository {
  constructor(private readonly db: Db) {}

  /**
   * Inserts unless the tenant already has `limit` endpoints (then null). Creates of one tenant
   * queue on an advisory lock, so concurrent ones cannot together pass the limit.
   */
  insertWithinLimit(limit: number, e: EndpointWrite): Promise<EndpointRow | null> {
    return this.db.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtextextended('endpoints-of:' || $1, 0))`, [e.tenant_id]);
      const count = await this.db.one<{ n: number }>(
        `select count(*)::int as n from endpoints where tenant_id = $1 and deleted_at is null`, [e.tenant_id], tx);
      if ((count?.n ?? 0) >= limit) return null;
      return this.db.one<EndpointRow>(
        `insert into endpoints (id, tenant_id, url, description, event_types, enabled, disabled_reason, secret,
           signature_scheme, headers, summaries, rate_limit_per_second, max_in_flight)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) returning ${COLUMNS}`,
        [e.id, e.tenant_id, e.url, e.description, e.event_types, e.enabled, e.disabled_reason, e.secret,
          e.signature_scheme, JSON.stringify(e.headers), e.summaries, e.rate_limit_per_second, e.max_in_flight],
        tx,
      );
    });
  }

  find(tenantId: string, id: string, client: Queryable = this.db.pool): Promise<EndpointRow | null> {
    return this.db.one<EndpointRow>(`select ${COLUMNS} from endpoints where tenant_id = $1 and id = $2 and deleted_at is null`, [tenantId, id], client);
  }

  findForUpdate(client: PoolClient, tenantId: string, id: string): Promise<EndpointRow | null> {
    return this.db.one<EndpointRow>(
      `select ${COLUMNS} from endpoints where tenant_id = $1 and id = $2 and deleted_at is null for update`, [tenantId, id], client);
  }

  list(tenantId: string, limit: number, before: string | null): Promise<EndpointRow[]> {
    return this.db.query<EndpointRow>(
      `select ${COLUMNS} from endpoints where tenant_id = $1 and deleted_at is null and ($2::text is null or id < $2)
        order by id desc limit $3`,
      [tenantId, before, limit],
    );
  }

  /** `resetCircuit` closes the endpoint's circuit (it is enabled again: its failure history is cleared). */
  update(client: Queryable, e: EndpointWrite & { failing_since: Date | null; previous_secrets: PreviousSecret[] }, resetCircuit = false): Promise<EndpointRow | null> {
    return this.db.one<EndpointRow>(
      `update endpoints set url = $3, description = $4, event_types = $5, enabled = $6, disabled_reason = $7, secret = $8,
         signature_scheme = $9, headers = $10, summaries = $11, rate_limit_per_second = $12, failing_since = $13,
         previous_secrets = $14, max_in_flight = $15, updated_at = now(),
         circuit_state = case when $16 then 'closed' else circuit_state end,
         circuit_opened_at = case when $16 then null else circuit_opened_at end,
         circuit_next_probe_at = case when $16 then null else circuit_next_probe_at end,
         circuit_failures = case when $16 then 0 else circuit_failures end,
         circuit_step = case when $16 then 0 else circuit_step end
       where tenant_id = $1 and id = $2 and deleted_at is null returning ${COLUMNS}`,
      [e.tenant_id, e.id, e.url, e.description, e.event_types, e.enabled, e.disabled_reason, e.secret, e.signature_scheme,
        JSON.stringify(e.headers), e.summaries, e.rate_limit_per_second, e.failing_since, JSON.stringify(e.previous_secrets),
        e.max_in_flight, resetCircuit],
      client,
    );
  }

  /** Soft delete: the delivery log keeps pointing at the endpoint. */
  async softDelete(client: PoolClient, tenantId: string, id: string): Promise<boolean> {
    const rows = await this.db.query(
      `update endpoints set deleted_at = now(), enabled = false, updated_at = now()
        where tenant_id = $1 and id = $2 and deleted_at is null returning id`, [tenantId, id], client);
    return rows.length > 0;
  }

  /**
   * The endpoint's queued attempts leave the queue and its pending deliveries become
   * cancelled: the first `CANCEL_BATCH` here, in the caller's transaction; a larger backlog
   * is ended by the endpoint's drain, in batches (the drain of a deleted endpoint cancels).
   */
  async cancelPendingDeliveries(client: PoolClient, endpointId: string): Promise<void> {
    if ((await endQueuedDeliveries(client, endpointId, 'cancelled', CANCEL_BATCH)) >= CANCEL_BATCH) {
      await scheduleDrains(client, [{ endpointId, runAt: null }]);
    }
  }


  /**
   * How many of the endpoint's deliveries since `since` are failed (what a recover will queue
   * again), from delivery_failures' index alone: an id made at or after `since` belongs to a
   * row created after it. Only ids of the minute before `since` (a row's created_at may trail
   * its id's time by that much) are checked against their row.
   */
  async countFailedSince(client: Queryable, endpointId: string, since: Date): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      `select (select count(*) from delivery_failures f
                where f.endpoint_id = $1 and f.status = 'failed' and f.delivery_id >= $4)::int
            + (select count(*) from delivery_failures f join deliveries d on d.id = f.delivery_id
                where f.endpoint_id = $1 and f.status = 'failed' and f.delivery_id >= $3 and f.delivery_id < $4
                  and d.created_at >= $2)::int as n`,
      [endpointId, since, idBounds('dlv', since.toISOString(), undefined, null).low, idAtOrAfter('dlv', since)], client);
    return rows[0]?.n ?? 0;
  }

  /**
   * How many attempts are queued for the endpoint, counted up to `cap` along the queue's index
   * (in Db.queueReads: with the queue's statistics taken while it was nearly empty, the planner
   * would read a large backlog whole with a bitmap scan and sort it).
   */
  async queuedUpTo(endpointId: string, cap: number): Promise<number> {
    const rows = await this.db.queueReads((read) => read<{ n: number }>('endpoint_queued_up_to',
      `select count(*)::int as n from (select 1 from delivery_queue where endpoint_id = $1 order by endpoint_id, due_at limit $2) q`,
      [endpointId, cap]));
    return rows[0]?.n ?? 0;
  }

  /**
   * One batch of a recover: up to `limit` of the endpoint's failed deliveries since `since`
   * and older than `before`, newest first (from delivery_failures' index, not a scan of the
   * history), go back to pending with their schedule restarted at attempt 1, queued now, and
   * the endpoint's drain is woken. Returns how many it looked at and the oldest of them, where
   * the next batch goes on.
   */
  async reopenFailedBatch(client: Queryable, endpointId: string, since: Date, before: string | null, limit: number): Promise<{ picked: number; oldest: string | null }> {
    const picked = (await this.db.query<{ delivery_id: string }>(
      `select delivery_id from delivery_failures
        where endpoint_id = $1 and status = 'failed' and delivery_id >= $2 and ($3::text is null or delivery_id < $3)
          -- a recover stops when its endpoint is disabled or deleted meanwhile
          and exists (select 1 from endpoints e where e.id = $1 and e.enabled and e.deleted_at is null)
        order by endpoint_id desc, status desc, delivery_id desc limit $4`,
      [endpointId, idBounds('dlv', since.toISOString(), undefined, null).low, before, limit], client)).map((r) => r.delivery_id);
    if (picked.length === 0) return { picked: 0, oldest: null };
    // The deliveries by the list of keys the statement is planned with, so each is looked up in
    // the partition that holds it (endQueuedDeliveries says why). Their state and the
    // endpoint's are checked again here: a delivery that moved on since it was picked stays as
    // it is, and an endpoint disabled or deleted meanwhile gets nothing queued.
    await this.db.query(
      `with reopened as (
         update deliveries set status = 'pending', scheduled_attempts = 0, next_attempt_at = now(), updated_at = now()
          where id = any($1::text[]) and status = 'failed' and created_at >= $2
            and exists (select 1 from endpoints e where e.id = $3 and e.enabled and e.deleted_at is null)
         returning id, endpoint_id, tenant_id
       ), q as (
         insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at)
         select id, 1, endpoint_id, tenant_id, now() from reopened
         on conflict do nothing
         returning endpoint_id
       )
       select ${addDrainJobsSql('(select distinct endpoint_id, now() as run_at from q)')} where exists (select 1 from q)`,
      [picked, since, endpointId], client);
    return { picked: picked.length, oldest: picked[picked.length - 1] };
  }
}
