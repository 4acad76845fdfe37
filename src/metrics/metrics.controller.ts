import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { register } from 'prom-client';
import { Public } from '../auth/auth.decorators';
import { Db } from '../database/db';
import { queueDepth } from './metrics';

@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly db: Db) {}

  @Get()
  @Header('content-type', register.contentType)
  async metrics(): Promise<string> {
    try {
      const row = await this.db.one<{ n: number }>(
        `select count(*)::int as n from graphile_worker._private_jobs where is_available and run_at <= now()`);
      queueDepth.set(row?.n ?? 0);
    } catch {
      // A metrics scrape must still answer when the database does not.
    }
    return register.metrics();
  }
}
