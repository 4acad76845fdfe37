import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsObject, IsOptional, IsString, IsUrl, Matches, Max, MaxLength, Min, ValidateIf,
} from 'class-validator';
import { NoControlCharacters } from '../../common/validation';
import { SIGNATURE_SCHEMES, SignatureScheme } from '../../signing';
import { EVENT_TYPE_FILTER_PATTERN } from '../event-type-filter';

export class CreateEndpointDto {
  @ApiProperty({ example: 'https://example.com/webhooks' })
  @IsString()
  @MaxLength(2048)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false, require_host: true }, { message: 'url must be an http or https URL' })
  url!: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @NoControlCharacters()
  description?: string | null;

  @ApiPropertyOptional({ type: [String], example: ['invoice.*', 'user.created'], description: 'empty or absent = every type' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @MaxLength(128, { each: true })
  @Matches(EVENT_TYPE_FILTER_PATTERN, { each: true, message: 'eventTypes must hold event type names or prefix wildcards like invoice.*' })
  eventTypes?: string[];

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ description: 'whsec_ + base64 of 24-64 bytes; generated when absent' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  secret?: string;

  @ApiPropertyOptional({ enum: SIGNATURE_SCHEMES, enumName: 'SignatureScheme', default: 'standard-webhooks' })
  @IsOptional()
  @IsIn(SIGNATURE_SCHEMES)
  signatureScheme?: SignatureScheme;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptional()
  @IsObject()
  headers?: Record<string, unknown>;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  summaries?: boolean;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 1, maximum: 100000, description: 'null = unlimited' })
  @ValidateIf((o: CreateEndpointDto) => o.rateLimitPerSecond !== null && o.rateLimitPerSecond !== undefined)
  @IsInt()
  @Min(1)
  @Max(100000)
  rateLimitPerSecond?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 1, maximum: 256, description: 'attempts in flight to this endpoint at once, across every worker; default ENDPOINT_MAX_IN_FLIGHT (null on PATCH: back to the default)' })
  @ValidateIf((o: CreateEndpointDto) => o.maxInFlight !== null && o.maxInFlight !== undefined)
  @IsInt()
  @Min(1)
  @Max(256)
  maxInFlight?: number | null;
}
