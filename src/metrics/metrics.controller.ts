import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { register } from 'prom-client';
import { Public } from '../auth/auth.decorators';
import { heldDeliveries, queueDepth } from './metrics';
import { MetricsRepository } from './metrics.repository';

@ApiExcludeController()
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly repository: MetricsRepository) {}

  @Get()
  @Header('content-type', register.contentType)
  async metrics(): Promise<string> {
    try {
      const row = await this.repository.dueAndHeld();
      queueDepth.set(row.due);
      heldDeliveries.set(row.held);
    } catch {
      // A metrics scrape must still answer when the database does not.
    }
    return register.metrics();
  }
}
