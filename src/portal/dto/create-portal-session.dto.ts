import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';

export class CreatePortalSessionDto {
  @ApiPropertyOptional({ example: '1h', description: 'a duration (ms, s, m, h, d) from 1m to 24h; default PORTAL_SESSION_TTL' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  ttl?: string;

  @ApiPropertyOptional({ default: false, description: 'a read-only session can read everything but change nothing' })
  @IsOptional()
  @IsBoolean()
  readOnly?: boolean;
}
