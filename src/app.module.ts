import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino, { DestinationStream } from 'pino';
import { requestLogLevel } from './common/request-log-level';
import { safeError } from './common/safe-error';
import { AuthModule } from './auth/auth.module';
import { AppConfig, Role } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DeliveriesModule } from './deliveries/deliveries.module';
import { WorkerModule } from './worker/worker.module';
import { EndpointsModule } from './endpoints/endpoints.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { PortalModule } from './portal/portal.module';
import { TenantsModule } from './tenants/tenants.module';

export interface AppOptions {
  config: AppConfig;
  role: Role;
  databaseUrl: string;
  /** Where logs go (stdout by default); tests capture them to prove no secret is ever logged. */
  logStream?: DestinationStream;
}

/** One module graph for both roles: the API modules, the worker module, or both. */
@Module({})
export class AppModule {
  static forRoot({ config, role, databaseUrl, logStream }: AppOptions): DynamicModule {
    const api = role !== 'worker';
    const worker = role !== 'api';
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          pinoHttp: [{
            level: config.logLevel,
            autoLogging: { ignore: (req) => req.url?.startsWith('/health') ?? false },
            customLogLevel: (_req, res, error) => requestLogLevel(res.statusCode, error !== undefined),
            redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["idempotency-key"]'], remove: true },
            serializers: {
              req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
              res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
              err: safeError,
            },
          }, logStream ?? pino.destination(1)],
        }),
        DatabaseModule.forRoot(databaseUrl, worker ? 20 : 16),
        { module: DatabaseUrlModule, global: true, providers: [{ provide: 'DATABASE_URL', useValue: databaseUrl }], exports: ['DATABASE_URL'] },
        ...(api ? [AuthModule, TenantsModule, EndpointsModule, EventsModule, DeliveriesModule, PortalModule] : []),
        ...(worker ? [WorkerModule] : []),
        // A worker-only process still serves /health and /metrics (its delivery and LLM figures).
        HealthModule.forRole(worker),
        MetricsModule,
      ],
    };
  }
}

@Module({})
class DatabaseUrlModule {}
