import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery log's status filters without an index on deliveries.status (which would make
 * every attempt record a non-HOT update): pending deliveries are the ones in delivery_queue,
 * and failed or cancelled ones are listed in delivery_failures, kept by a trigger that fires
 * only on a change into or out of those states (never on the pending → succeeded path).
 */
export class DeliveryFailures1764500000000 implements MigrationInterface {
  name = 'DeliveryFailures1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      create table delivery_failures (
        delivery_id text primary key references deliveries(id) on delete cascade,
        tenant_id text not null,
        endpoint_id text not null,
        status text not null
      )`);
    await q.query(`create index delivery_failures_tenant_idx on delivery_failures (tenant_id, status, delivery_id desc)`);
    await q.query(`create index delivery_failures_endpoint_idx on delivery_failures (endpoint_id, status, delivery_id desc)`);
    await q.query(`
      create function delivery_failures_track() returns trigger language plpgsql as $$
      begin
        if tg_op = 'UPDATE' and old.status in ('failed', 'cancelled') and new.status not in ('failed', 'cancelled') then
          delete from delivery_failures where delivery_id = old.id;
        elsif new.status in ('failed', 'cancelled') then
          insert into delivery_failures (delivery_id, tenant_id, endpoint_id, status)
          values (new.id, new.tenant_id, new.endpoint_id, new.status)
          on conflict (delivery_id) do update set status = excluded.status;
        end if;
        return null;
      end $$`);
    await q.query(`
      create trigger deliveries_failures_on_update after update of status on deliveries for each row
        when (old.status is distinct from new.status and (old.status in ('failed', 'cancelled') or new.status in ('failed', 'cancelled')))
        execute function delivery_failures_track()`);
    await q.query(`
      create trigger deliveries_failures_on_insert after insert on deliveries for each row
        when (new.status in ('failed', 'cancelled'))
        execute function delivery_failures_track()`);
    await q.query(`
      insert into delivery_failures (delivery_id, tenant_id, endpoint_id, status)
      select id, tenant_id, endpoint_id, status from deliveries where status in ('failed', 'cancelled')`);
    // The eventType filter: event_type never changes, so this costs the attempt record no HOT update.
    await q.query(`create index deliveries_tenant_type_idx on deliveries (tenant_id, event_type, id desc)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`drop index if exists deliveries_tenant_type_idx`);
    await q.query(`drop trigger if exists deliveries_failures_on_insert on deliveries`);
    await q.query(`drop trigger if exists deliveries_failures_on_update on deliveries`);
    await q.query(`drop function if exists delivery_failures_track()`);
    await q.query(`drop table if exists delivery_failures`);
  }
}
