import { Module } from '@nestjs/common';
import { SummariesModule } from '../summaries/summaries.module';
import { TenantsModule } from '../tenants/tenants.module';
import { DeliveriesController } from './deliveries.controller';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveriesService } from './deliveries.service';
import { ExplainController } from './explain.controller';

@Module({
  imports: [TenantsModule, SummariesModule],
  controllers: [DeliveriesController, ExplainController],
  providers: [DeliveriesService, DeliveriesRepository],
  exports: [DeliveriesRepository],
})
export class DeliveriesModule {}
