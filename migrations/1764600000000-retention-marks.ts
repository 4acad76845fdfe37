import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention walks events and attempts by id (ids sort by time) from where its last run
 * stopped, kept in retention_marks, instead of scanning either table for rows not yet expired.
 * attempts_started_idx served only that scan, and every attempt insert paid for it; its
 * predicate on response_body also ruled out a HOT update for every expiry, so it goes.
 */
export class RetentionMarks1764600000000 implements MigrationInterface {
  name = 'RetentionMarks1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`create table retention_marks (name text primary key, expired_before text not null)`);
    await q.query(`drop index if exists attempts_started_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`create index attempts_started_idx on attempts (started_at) where response_body is not null`);
    await q.query(`drop table retention_marks`);
  }
}
