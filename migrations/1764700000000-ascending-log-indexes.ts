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
    for (const { name, on } of REBUILT) await rebuild(q, name, on);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const { name, on } of REBUILT) await rebuild(q, name, on.replace(/, (id|delivery_id)\)$/, ', $1 desc)'));
  }
}

/**
 * Builds the new index beside the old one and swaps the names, so the table has its index at
 * every step; a run cut short (an invalid _new, or a leftover _old) is cleaned up by the next.
 */
async function rebuild(q: QueryRunner, name: string, on: string): Promise<void> {
  await q.query(`drop index concurrently if exists ${name}_new`);
  await q.query(`drop index concurrently if exists ${name}_old`);
  await q.query(`create index concurrently ${name}_new on ${on}`);
  await q.query(`alter index if exists ${name} rename to ${name}_old`);
  await q.query(`alter index ${name}_new rename to ${name}`);
  await q.query(`drop index concurrently if exists ${name}_old`);
}
