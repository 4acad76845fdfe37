import { Module } from '@nestjs/common';
import { DeliveriesModule } from '../deliveries/deliveries.module';
import { EndpointsModule } from '../endpoints/endpoints.module';
import { TenantsModule } from '../tenants/tenants.module';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';
import { PublishBatcher } from './publish-batcher';
import { TestEventController } from './test-event.controller';
import { TestEventsService } from './test-events.service';

@Module({
  imports: [DeliveriesModule, TenantsModule, EndpointsModule],
  controllers: [EventsController, TestEventController],
  providers: [EventsService, EventsRepository, PublishBatcher, TestEventsService],
})
export class EventsModule {}
