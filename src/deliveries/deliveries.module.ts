import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module';
import { DeliveriesController } from './deliveries.controller';
import { DeliveriesRepository } from './deliveries.repository';
import { DeliveriesService } from './deliveries.service';

@Module({
  imports: [TenantsModule],
  controllers: [DeliveriesController],
  providers: [DeliveriesService, DeliveriesRepository],
  exports: [DeliveriesRepository],
})
export class DeliveriesModule {}
