import { Injectable } from '@nestjs/common';
import { InvalidInputError, NotFoundError } from '../common/errors';
import { EndpointStatsQueryDto } from './dto/endpoint-stats.dto';
import { EndpointStatsResponse } from './dto/endpoint.response';
import { MAX_STATS_BUCKETS, STATS_BUCKETS } from './stats-buckets';
import { EndpointStatsRepository } from './endpoint-stats.repository';
import { EndpointsRepository } from './endpoints.repository';

const DAY_MS = 86_400_000;

/** GET .../endpoints/{id}/stats: successes, failures and latency per bucket (the portal's charts and health figure). */
@Injectable()
export class EndpointStatsService {
  constructor(
    private readonly stats: EndpointStatsRepository,
    private readonly endpoints: EndpointsRepository,
  ) {}

  async get(tenantId: string, endpointId: string, query: EndpointStatsQueryDto): Promise<EndpointStatsResponse> {
    const bucketMs = STATS_BUCKETS[query.bucket ?? '1h'];
    const untilMs = query.until === undefined ? Date.now() : Date.parse(query.until);
    const sinceMs = query.since === undefined ? untilMs - DAY_MS : Date.parse(query.since);
    if (!(sinceMs < untilMs)) throw new InvalidInputError('since', 'must be before until');
    const startMs = Math.floor(sinceMs / bucketMs) * bucketMs;
    const count = Math.ceil((untilMs - startMs) / bucketMs);
    if (count > MAX_STATS_BUCKETS) {
      throw new InvalidInputError('since', `gives ${count} buckets of ${query.bucket ?? '1h'}: at most ${MAX_STATS_BUCKETS}; use a shorter range or a larger bucket`);
    }
    if (!(await this.endpoints.find(tenantId, endpointId))) throw new NotFoundError('endpoint');
    const rows = await this.stats.buckets(endpointId, startMs, untilMs, bucketMs, count);
    return {
      data: rows.map((row) => ({
        start: new Date(startMs + row.i * bucketMs).toISOString(),
        succeeded: row.succeeded,
        failed: row.failed,
        p50Ms: row.p50 === null ? null : Math.round(row.p50),
        p95Ms: row.p95 === null ? null : Math.round(row.p95),
      })),
    };
  }
}
