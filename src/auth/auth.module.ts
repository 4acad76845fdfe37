import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeysRepository } from './api-keys.repository';
import { BearerAuthGuard } from './bearer-auth.guard';

@Global()
@Module({
  providers: [ApiKeysRepository, { provide: APP_GUARD, useClass: BearerAuthGuard }],
  exports: [ApiKeysRepository],
})
export class AuthModule {}
