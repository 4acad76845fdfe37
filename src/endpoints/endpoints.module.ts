import { Module } from '@nestjs/common';
import { TenantsModule } from '../tenants/tenants.module';
import { EndpointsController } from './endpoints.controller';
import { EndpointsRepository } from './endpoints.repository';
import { EndpointsService } from './endpoints.service';

@Module({
  imports: [TenantsModule],
  controllers: [EndpointsController],
  providers: [EndpointsService, EndpointsRepository],
  exports: [EndpointsRepository],
})
export class EndpointsModule {}
