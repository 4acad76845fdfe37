import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Isolation (SPEC §10): the due work of every endpoint is a queue of its own, drained by one
 * process at a time under a lease, and graphile-worker schedules endpoints (`drain` jobs), not
 * deliveries. Pending deliveries of a running system move from their `deliver` jobs to the
 * queue, and every endpoint with work gets a drain job.
 */
export class EndpointQueues1764300000000 implements MigrationInterface {
  name = 'EndpointQueues1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      alter table endpoints
        add column max_in_flight integer,
        add column circuit_state text not null default 'closed',
        add column circuit_opened_at timestamptz,
        add column circuit_next_probe_at timestamptz,
        add column circuit_failures integer not null default 0,
        add column circuit_step integer not null default 0,
        add column rate_window timestamptz[]`);
    // One row per attempt to make: the scheduled attempt of every pending delivery (attempt =
    // its number), plus a manual one (attempt = 0) while a retry by hand waits. Small: rows
    // leave when their attempt is recorded.
    await q.query(`
      create table delivery_queue (
        delivery_id text not null,
        attempt integer not null,
        endpoint_id text not null,
        tenant_id text not null,
        due_at timestamptz not null,
        primary key (delivery_id, attempt)
      )`);
    await q.query(`create index delivery_queue_due_idx on delivery_queue (endpoint_id, due_at, delivery_id)`);
    await q.query(`create index delivery_queue_tenant_idx on delivery_queue (tenant_id, delivery_id)`);
    await q.query(`create index delivery_queue_manual_idx on delivery_queue (endpoint_id, due_at) where attempt = 0`);
    // The queue churns: keep its statistics fresh so no plan is made for an empty table.
    await q.query(`alter table delivery_queue set (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01)`);
    // Who drains an endpoint now: one process at a time, until lease_until (renewed by its heartbeat).
    await q.query(`
      create table endpoint_drains (
        endpoint_id text primary key,
        owner text not null,
        lease_until timestamptz not null
      )`);

    await q.query(`
      insert into delivery_queue (delivery_id, attempt, endpoint_id, tenant_id, due_at)
      select d.id, d.scheduled_attempts + 1, d.endpoint_id, d.tenant_id, coalesce(d.next_attempt_at, now())
        from deliveries d where d.status = 'pending'`);
    const hasWorkerSchema = await q.query(`select 1 from pg_namespace where nspname = 'graphile_worker'`);
    if (hasWorkerSchema.length > 0) {
      await q.query(`delete from graphile_worker._private_jobs j using graphile_worker._private_tasks t
                      where t.id = j.task_id and t.identifier = 'deliver'`);
      await q.query(`
        select graphile_worker.add_jobs(array(
          select row('drain', json_build_object('e', endpoint_id), null, min(due_at), null, 'drain:' || endpoint_id, null, null)::graphile_worker.job_spec
            from delivery_queue group by endpoint_id))
         where exists (select 1 from delivery_queue)`);
    }
    await q.query(`drop table if exists endpoint_rate_windows`);
    // Model calls per provider (and per tenant, for fair shares) in one-second buckets: LLM_REQUESTS_PER_MINUTE across processes.
    await q.query(`
      create table llm_rate_windows (
        provider text not null,
        tenant_id text not null,
        window_start timestamptz not null,
        count integer not null,
        primary key (provider, window_start, tenant_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop table if exists llm_rate_windows`);
    await q.query(`drop table if exists endpoint_drains`);
    await q.query(`drop table if exists delivery_queue`);
    await q.query(`
      alter table endpoints drop column max_in_flight, drop column circuit_state, drop column circuit_opened_at,
        drop column circuit_next_probe_at, drop column circuit_failures, drop column circuit_step, drop column rate_window`);
    await q.query(`
      create table endpoint_rate_windows (
        endpoint_id text not null, window_start timestamptz not null, count integer not null,
        primary key (endpoint_id, window_start))`);
  }
}
