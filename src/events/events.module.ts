import { Module } from '@nestjs/common';
import { DeliveriesModule } from '../deliveries/deliveries.module';
import { TenantsModule } from '../tenants/tenants.module';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';
import { PublishBatcher } from './publish-batcher';

@Module({
  imports: [DeliveriesModule, TenantsModule],
  controllers: [EventsController],
  providers: [EventsService, EventsRepository, PublishBatcher],
})
export class EventsModule {}
