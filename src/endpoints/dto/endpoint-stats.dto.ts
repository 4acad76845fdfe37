import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';
import { STATS_BUCKET_NAMES, StatsBucket } from '../stats-buckets';

export class EndpointStatsQueryDto {
  @ApiPropertyOptional({ description: 'ISO-8601; default until minus 24 h. Rounded down to the bucket size' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'since must be an ISO-8601 date-time' })
  since?: string;

  @ApiPropertyOptional({ description: 'ISO-8601, exclusive; default now' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO-8601 date-time' })
  until?: string;

  @ApiPropertyOptional({ enum: STATS_BUCKET_NAMES, enumName: 'StatsBucketSize', default: '1h' })
  @IsOptional()
  @IsIn(STATS_BUCKET_NAMES, { message: `bucket must be one of ${STATS_BUCKET_NAMES.join(', ')}` })
  bucket?: StatsBucket;
}
