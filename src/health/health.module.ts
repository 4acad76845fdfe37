import { DynamicModule, Module } from '@nestjs/common';
import { WorkerModule } from '../worker/worker.module';
import { HealthController } from './health.controller';

@Module({})
export class HealthModule {
  static forRole(withWorker: boolean): DynamicModule {
    return { module: HealthModule, imports: withWorker ? [WorkerModule] : [], controllers: [HealthController] };
  }
}
