import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { SIGNATURE_SCHEMES, SignatureScheme } from '../../signing';

export const DISABLED_REASONS = ['manual', 'gone', 'failing'] as const;
export const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const;

@ApiSchema({ name: 'Circuit', description: 'The endpoint\'s circuit breaker (see the README, Isolation)' })
export class CircuitResponse {
  @ApiProperty({ enum: CIRCUIT_STATES })
  state!: (typeof CIRCUIT_STATES)[number];

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  openedAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  nextProbeAt!: string | null;
}

@ApiSchema({ name: 'Endpoint', description: 'An endpoint, without its secret' })
export class EndpointResponse {
  @ApiProperty({ example: 'ep_01kb2m3n4p5q6r7s8t9v0w1x2y' })
  id!: string;

  @ApiProperty()
  tenantId!: string;

  @ApiProperty({ example: 'https://example.com/webhooks' })
  url!: string;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({ type: [String], description: 'empty = every type' })
  eventTypes!: string[];

  @ApiProperty()
  enabled!: boolean;

  @ApiProperty({ enum: DISABLED_REASONS, nullable: true })
  disabledReason!: (typeof DISABLED_REASONS)[number] | null;

  @ApiProperty({ enum: SIGNATURE_SCHEMES })
  signatureScheme!: SignatureScheme;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  headers!: Record<string, string>;

  @ApiProperty()
  summaries!: boolean;

  @ApiProperty({ type: Number, nullable: true, description: 'null = unlimited' })
  rateLimitPerSecond!: number | null;

  @ApiProperty({ minimum: 1, maximum: 256 })
  maxInFlight!: number;

  @ApiProperty({ type: CircuitResponse })
  circuit!: CircuitResponse;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt!: string;
}

@ApiSchema({ name: 'EndpointPage' })
export class EndpointPage {
  @ApiProperty({ type: [EndpointResponse] })
  data!: EndpointResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'pass as `cursor` for the next page; null on the last page' })
  nextCursor!: string | null;
}

@ApiSchema({ name: 'EndpointSecret' })
export class EndpointSecretResponse {
  @ApiProperty({ example: 'whsec_...' })
  secret!: string;
}

@ApiSchema({ name: 'RecoverResult' })
export class RecoverResponse {
  @ApiProperty({ description: 'failed deliveries queued again' })
  deliveries!: number;
}

@ApiSchema({ name: 'StatsBucket' })
export class StatsBucketResponse {
  @ApiProperty({ format: 'date-time' })
  start!: string;

  @ApiProperty()
  succeeded!: number;

  @ApiProperty()
  failed!: number;

  /** Attempt duration percentiles of the bucket; null when it had no attempt. */
  @ApiProperty({ type: Number, nullable: true, description: 'null when the bucket had no attempt' })
  p50Ms!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'null when the bucket had no attempt' })
  p95Ms!: number | null;
}

@ApiSchema({ name: 'EndpointStats' })
export class EndpointStatsResponse {
  @ApiProperty({ type: [StatsBucketResponse] })
  data!: StatsBucketResponse[];
}
