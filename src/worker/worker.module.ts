import { Module } from '@nestjs/common';
import { EndpointsRepository } from '../endpoints/endpoints.repository';
import { SummariesModule } from '../summaries/summaries.module';
import { AttemptRecorder } from './attempt-recorder';
import { DeliveryAttemptService } from './delivery-attempt.service';
import { WorkerRepository } from './worker.repository';
import { DrainsService } from './drains.service';
import { RetentionRepository } from './retention.repository';
import { RetentionService } from './retention.service';
import { WorkerService } from './worker.service';

@Module({
  imports: [SummariesModule],
  providers: [WorkerRepository, AttemptRecorder, DeliveryAttemptService, DrainsService, RetentionService, RetentionRepository, WorkerService, EndpointsRepository],
  exports: [WorkerService, RetentionService],
})
export class WorkerModule {}
