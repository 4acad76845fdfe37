import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsString, Matches, MaxLength } from 'class-validator';
import { EVENT_TYPE_PATTERN, MAX_EVENT_TYPE_LENGTH } from '../event-type';

export class PublishEventDto {
  @ApiProperty({ example: 'invoice.paid', maxLength: MAX_EVENT_TYPE_LENGTH })
  @IsString()
  @MaxLength(MAX_EVENT_TYPE_LENGTH)
  @Matches(EVENT_TYPE_PATTERN, { message: 'type must be dot-separated names of letters, digits, _ and -' })
  type!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { invoiceId: 'in_123', amount: 4200, currency: 'EUR' } })
  @IsObject({ message: 'data must be a JSON object' })
  data!: Record<string, unknown>;
}

/** Documents POST /events/batch (validated by parsePublishBatchBody). */
export class BatchEventDto extends PublishEventDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 255, description: 'like the Idempotency-Key header, per event' })
  idempotencyKey?: string;
}

export class PublishEventBatchDto {
  @ApiProperty({ type: [BatchEventDto], minItems: 1, maxItems: 100 })
  events!: BatchEventDto[];
}

/** Documents POST .../endpoints/{id}/test: both fields optional. */
export class TestEventDto {
  @ApiPropertyOptional({ example: 'webhook.test', default: 'webhook.test', maxLength: MAX_EVENT_TYPE_LENGTH })
  type?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  data?: Record<string, unknown>;
}
