import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether a worker held its liveness lock at its last beat (src/worker/liveness-session.ts),
 * as the start time of the server it held it on, and how often it beats: only a process that
 * held it on the server running now is judged by its lock, after two and a half of its own
 * beats. Rows of processes of an older version keep nulls, and are judged by their silence
 * alone, as before.
 */
export class WorkerLiveness1764900000000 implements MigrationInterface {
  name = 'WorkerLiveness1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`alter table worker_heartbeats add column locked_on timestamptz, add column beat_ms integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`alter table worker_heartbeats drop column locked_on, drop column beat_ms`);
  }
}
