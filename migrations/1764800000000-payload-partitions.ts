import { MigrationInterface, QueryRunner } from 'typeorm';
import { idTime } from '../src/common/ids';
import { AHEAD_DAYS, createLogPartitions, LOG_PARTITIONS_LOCK, partitionBounds, partitionDays, RunSql, spansOf, utcDay } from '../src/database/log-partitions';

const DAY_MS = 86_400_000;
/** The tables as this migration made them (src/database/log-partitions.ts partitions more since). */
const TABLES = {
  event_payloads: { key: 'event_id', columns: 'event_id text not null, data json not null' },
  attempt_bodies: { key: 'attempt_id', columns: 'attempt_id text not null, body text not null' },
} as const;

/**
 * What retention deletes moves out of the log rows into tables partitioned by day on the id
 * (src/database/log-partitions.ts): events.data into event_payloads, attempts.response_body
 * into attempt_bodies. Retention then drops whole days instead of updating rows, and the log
 * rows stay (SPEC §8). An event is expired when its payload is gone; an attempt when its id is
 * below the attempts mark of retention_marks (every attempt below it has been expired), as
 * before.
 *
 * On an existing database this copies every payload and body not yet expired (one pass over
 * each table, writes to both wait meanwhile) into partitions from the oldest of them on.
 * Processes of the older version fail their writes once it has run: stop them first. The space of the dropped columns
 * in old rows comes back when those rows are rewritten (VACUUM FULL or pg_repack), not by
 * itself.
 */
export class PayloadPartitions1764800000000 implements MigrationInterface {
  name = 'PayloadPartitions1764800000000';

  async up(q: QueryRunner): Promise<void> {
    const run: RunSql = (sql, params) => q.query(sql, params);
    // Writes wait until this commits (reads go on): a row written meanwhile by a process of the
    // older version would otherwise have its payload dropped with the column.
    await q.query(`lock table events, attempts in share row exclusive mode`);
    for (const [table, { key, columns }] of Object.entries(TABLES)) {
      await q.query(`create table ${table} (${columns}, primary key (${key})) partition by range (${key})`);
    }
    await q.query(`select pg_advisory_xact_lock($1)`, [LOG_PARTITIONS_LOCK]);
    // Partitions from the oldest kept payload's time (its id's, or its row's if earlier) to a
    // week ahead, spanning as many days each as about 30 of them need.
    const [{ now, oldest_event, oldest_attempt, oldest_row }] = await q.query(
      `select now() as now, (select min(id) from events where data is not null) as oldest_event,
              (select min(id) from attempts where response_body is not null) as oldest_attempt,
              least((select min(created_at) from events where data is not null),
                    (select min(started_at) from attempts where response_body is not null)) as oldest_row`);
    const through = new Date(now.getTime() + AHEAD_DAYS * DAY_MS);
    const candidates = [oldest_row, idTime(oldest_event ?? ''), idTime(oldest_attempt ?? ''), new Date(now.getTime() - DAY_MS)]
      .filter((t): t is Date => t instanceof Date && t.getTime() < now.getTime());
    const from = new Date(Math.min(...candidates.map((t) => t.getTime())));
    await createLogPartitions(run, from, through, spansOf(['event_payloads', 'attempt_bodies'], partitionDays(Math.ceil((now.getTime() - from.getTime()) / DAY_MS))));
    // A row whose id holds no time in that range (not one the service made) cannot be placed:
    // its payload is left behind, and it reads as expired.
    const { low: eventLow, high: eventHigh } = partitionBounds('event_payloads', utcDay(from), new Date(utcDay(through).getTime() + DAY_MS));
    const { low: attemptLow, high: attemptHigh } = partitionBounds('attempt_bodies', utcDay(from), new Date(utcDay(through).getTime() + DAY_MS));
    await q.query(`insert into event_payloads (event_id, data) select id, data from events
                    where data is not null and id >= $1 and id < $2 and id ~ '^evt_[0-9a-z]{10}'`, [eventLow, eventHigh]);
    await q.query(`insert into attempt_bodies (attempt_id, body) select id, response_body from attempts
                    where response_body is not null and id >= $1 and id < $2 and id ~ '^att_[0-9a-z]{10}'`, [attemptLow, attemptHigh]);
    await q.query(`alter table events drop column data, drop column expired_at`);
    await q.query(`alter table attempts drop column response_body, drop column expired_at`);
    // events are expired by their missing payload now; the attempts mark stays in use
    await q.query(`delete from retention_marks where name = 'events'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`alter table events add column data json, add column expired_at timestamptz`);
    await q.query(`alter table attempts add column response_body text, add column expired_at timestamptz`);
    await q.query(`update events e set data = p.data from event_payloads p where p.event_id = e.id`);
    await q.query(`update events set expired_at = now() where data is null`);
    await q.query(`update attempts a set response_body = b.body from attempt_bodies b where b.attempt_id = a.id`);
    await q.query(`update attempts set expired_at = now() where id < coalesce((select expired_before from retention_marks where name = 'attempts'), '')`);
    await q.query(`insert into retention_marks (name, expired_before) select 'events', coalesce(max(id), '') from events where data is null on conflict do nothing`);
    for (const table of Object.keys(TABLES)) await q.query(`drop table ${table}`);
  }
}
