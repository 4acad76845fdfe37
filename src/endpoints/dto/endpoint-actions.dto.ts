import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class RotateSecretDto {
  @ApiPropertyOptional({ description: 'whsec_ + base64 of 24-64 bytes; generated when absent' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  secret?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 604800, default: 86400 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(604800)
  gracePeriodSeconds?: number;
}

export class RecoverDto {
  @ApiProperty({ example: '2026-11-27T00:00:00Z' })
  @IsISO8601({ strict: true }, { message: 'since must be an ISO-8601 date-time' })
  since!: string;
}
