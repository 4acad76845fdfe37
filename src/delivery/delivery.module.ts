import { Module } from '@nestjs/common';
import { EndpointsRepository } from '../endpoints/endpoints.repository';
import { SummariesModule } from '../summaries/summaries.module';
import { AttemptRecorder } from './attempt-recorder';
import { DeliveryAttemptService } from './delivery-attempt.service';
import { DeliveryRepository } from './delivery.repository';
import { DrainsService } from './drains.service';
import { RetentionService } from './retention.service';
import { WorkerService } from './worker.service';

@Module({
  imports: [SummariesModule],
  providers: [DeliveryRepository, AttemptRecorder, DeliveryAttemptService, DrainsService, RetentionService, WorkerService, EndpointsRepository],
  exports: [WorkerService, RetentionService],
})
export class DeliveryModule {}
