import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module';
import { EndpointStatsRepository } from './endpoint-stats.repository';
import { EndpointStatsService } from './endpoint-stats.service';
import { EndpointsController } from './endpoints.controller';
import { EndpointsRepository } from './endpoints.repository';
import { EndpointsService } from './endpoints.service';

@Module({
  imports: [TenantsModule],
  controllers: [EndpointsController],
  providers: [EndpointsService, EndpointsRepository, EndpointStatsService, EndpointStatsRepository],
  exports: [EndpointsRepository],
})
export class EndpointsModule {}
