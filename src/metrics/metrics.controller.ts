import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { register } from 'prom-client';
import { Public } from '../auth/auth.decorators';
import { Db } from '../database/db';
import { heldDeliveries, queueDepth } from './metrics';

@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly db: Db) {}

  @Get()
  @Header('content-type', register.contentType)
  async metrics(): Promise<string> {
    try {
      // Both read the delivery queue through its (endpoint, due) index; endpoints are few.
      const row = await this.db.one<{ due: number; held: number }>(
        `select count(*)::int as due,
                count(*) filter (where e.circuit_state <> 'closed')::int as held
           from delivery_queue q join endpoints e on e.id = q.endpoint_id
          where q.due_at <= now()`);
      queueDepth.set(row?.due ?? 0);
      heldDeliveries.set(row?.held ?? 0);
    } catch {
      // A metrics scrape must still answer when the database does not.
    }
    return register.metrics();
  }
}
