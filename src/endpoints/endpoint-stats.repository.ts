import { Injectable } from '@nestjs/common';
import { idAtOrAfter } from '../common/ids';
import { Db } from '../database/db';

export interface StatsRow {
  i: number;
  succeeded: number;
  failed: number;
  p50: number | null;
  p95: number | null;
}

/**
 * An attempt's id is made when its response is in (src/worker/delivery-attempt.service.ts): at
 * or after started_at, by at most DELIVERY_TIMEOUT_MS (5 minutes at most) and the time to record
 * it. A minute before and ten after bound every attempt started in the window.
 */
const ID_BEFORE_START_MS = 60_000;
const ID_AFTER_START_MS = 600_000;

export function statsParams(endpointId: string, startMs: number, untilMs: number, bucketMs: number, count: number): unknown[] {
  return [endpointId, startMs, untilMs, bucketMs, count,
    idAtOrAfter('att', new Date(startMs - ID_BEFORE_START_MS)), idAtOrAfter('att', new Date(untilMs + ID_AFTER_START_MS))];
}

/**
 * Every bucket from `start`, zero-filled: one range scan of attempts_endpoint_started_idx
 * (endpoint, started_at), so the cost follows the window asked for, not the endpoint's history;
 * the attempt ids bound it too ($6, $7: statsParams), so only the partitions of the window are
 * planned and read. An attempt succeeded when it got a 2xx and read its body without error, as the sender decides.
 */
export const STATS_SQL = `
with a as (
  select floor((extract(epoch from started_at) * 1000 - $2::float8) / $4::float8)::int as i,
         (response_status between 200 and 299 and error is null) as ok, duration_ms
    from attempts
   where endpoint_id = $1
     and started_at >= to_timestamp($2::float8 / 1000) and started_at < to_timestamp($3::float8 / 1000)
     and id >= $6 and id < $7
)
select b.i,
       count(a.i) filter (where a.ok)::int as succeeded,
       count(a.i) filter (where not a.ok)::int as failed,
       percentile_cont(0.5) within group (order by a.duration_ms) as p50,
       percentile_cont(0.95) within group (order by a.duration_ms) as p95
  from generate_series(0, $5::int - 1) as b(i)
  left join a on a.i = b.i
 group by b.i
 order by b.i`;

@Injectable()
export class EndpointStatsRepository {
  constructor(private readonly db: Db) {}

  buckets(endpointId: string, startMs: number, untilMs: number, bucketMs: number, count: number): Promise<StatsRow[]> {
    return this.db.query<StatsRow>(STATS_SQL, statsParams(endpointId, startMs, untilMs, bucketMs, count));
  }
}

