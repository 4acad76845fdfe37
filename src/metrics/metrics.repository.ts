import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';

@Injectable()
export class MetricsRepository {
  constructor(private readonly db: Db) {}

  /** Due deliveries and, of those, the ones held by an open circuit: through the queue's (endpoint, due) index; endpoints are few. */
  async dueAndHeld(): Promise<{ due: number; held: number }> {
    const row = await this.db.one<{ due: number; held: number }>(
      `select count(*)::int as due,
              count(*) filter (where e.circuit_state <> 'closed')::int as held
         from delivery_queue q join endpoints e on e.id = q.endpoint_id
        where q.due_at <= now()`);
    return row ?? { due: 0, held: 0 };
  }
}
