import { Controller, Get, HttpCode, Optional, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { Db } from '../database/db';
import { pendingMigrationCount } from '../database/migrate';
import { WorkerService } from '../worker/worker.service';
import { LivenessResponse, ReadinessResponse } from './health.response';

type Check = 'up' | 'down' | 'not run in this process';

/**
 * Hand-written rather than @nestjs/terminus: readiness is two statements and one flag, and
 * terminus would add a dependency tree and its own response shape (SPEC §3 fixes ours).
 */

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: Db,
    @Optional() private readonly worker?: WorkerService,
  ) {}

  @Get()
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process answers', security: [] })
  @ApiOkResponse({ type: LivenessResponse })
  live() {
    return { status: 'ok' };
  }

  /** 200 when the database answers, every migration is applied and (where it runs here) the worker runs. */
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: database reachable, migrations applied, worker running', security: [] })
  @ApiOkResponse({ type: ReadinessResponse, description: 'Ready' })
  @ApiServiceUnavailableResponse({ type: ReadinessResponse, description: 'Not ready: the checks say which part is down' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const checks: Record<string, Check> = { database: 'down', migrations: 'down', worker: this.worker ? (this.worker.running ? 'up' : 'down') : 'not run in this process' };
    try {
      await withTimeout(this.db.ping(), 2000);
      checks.database = 'up';
      checks.migrations = (await withTimeout(pendingMigrationCount(this.db), 2000)) === 0 ? 'up' : 'down';
    } catch {
      // reported as down below
    }
    const ok = Object.values(checks).every((c) => c !== 'down');
    void reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', checks };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);
}
