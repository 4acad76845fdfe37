import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';

export const STATS_BUCKETS = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 } as const;
export type StatsBucket = keyof typeof STATS_BUCKETS;
/** A day of minutes, two months of hours, four years of days. */
export const MAX_STATS_BUCKETS = 1440;

export class EndpointStatsQueryDto {
  @ApiPropertyOptional({ description: 'ISO-8601; default until minus 24 h. Rounded down to the bucket size' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'since must be an ISO-8601 date-time' })
  since?: string;

  @ApiPropertyOptional({ description: 'ISO-8601, exclusive; default now' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO-8601 date-time' })
  until?: string;

  @ApiPropertyOptional({ enum: Object.keys(STATS_BUCKETS), default: '1h' })
  @IsOptional()
  @IsIn(Object.keys(STATS_BUCKETS), { message: 'bucket must be one of 1m, 1h, 1d' })
  bucket?: StatsBucket;
}

export interface StatsBucketResponse {
  start: string;
  succeeded: number;
  failed: number;
  /** Attempt duration percentiles of the bucket; null when it had no attempt. */
  p50Ms: number | null;
  p95Ms: number | null;
}
