import { DynamicModule, Module } from '@nestjs/common';
import { DeliveryModule } from '../delivery/delivery.module';
import { HealthController } from './health.controller';

@Module({})
export class HealthModule {
  static forRole(withWorker: boolean): DynamicModule {
    return { module: HealthModule, imports: withWorker ? [DeliveryModule] : [], controllers: [HealthController] };
  }
}
