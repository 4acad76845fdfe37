import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeysRepository } from './api-keys.repository';
import { BearerAuthGuard } from './bearer-auth.guard';
import { PortalSessionsRepository } from './portal-sessions.repository';

@Global()
@Module({
  providers: [ApiKeysRepository, PortalSessionsRepository, { provide: APP_GUARD, useClass: BearerAuthGuard }],
  exports: [ApiKeysRepository, PortalSessionsRepository],
})
export class AuthModule {}
