import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { DELIVERY_STATUSES, DeliveryStatus } from '../delivery-status';

const DATE_TIME_OR_NULL = { type: String, format: 'date-time', nullable: true } as const;

@ApiSchema({ name: 'Delivery' })
export class DeliveryResponse {
  @ApiProperty({ example: 'dlv_01kb2m3n4p5q6r7s8t9v0w1x2y' })
  id!: string;

  @ApiProperty()
  eventId!: string;

  @ApiProperty()
  endpointId!: string;

  @ApiProperty({ example: 'invoice.paid' })
  eventType!: string;

  @ApiProperty({ enum: DELIVERY_STATUSES })
  status!: DeliveryStatus;

  @ApiProperty()
  attemptCount!: number;

  @ApiProperty(DATE_TIME_OR_NULL)
  nextAttemptAt!: string | null;

  @ApiProperty(DATE_TIME_OR_NULL)
  lastAttemptAt!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

@ApiSchema({ name: 'DeliveryPage' })
export class DeliveryPage {
  @ApiProperty({ type: [DeliveryResponse] })
  data!: DeliveryResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'pass as `cursor` for the next page; null on the last page' })
  nextCursor!: string | null;
}

@ApiSchema({ name: 'Attempt' })
export class AttemptResponse {
  @ApiProperty({ example: 'att_01kb2m3n4p5q6r7s8t9v0w1x2y' })
  id!: string;

  @ApiProperty({ description: '1 for the first attempt' })
  number!: number;

  @ApiProperty({ enum: ['scheduled', 'manual'] })
  trigger!: 'scheduled' | 'manual';

  @ApiProperty({ format: 'date-time' })
  startedAt!: string;

  @ApiProperty()
  durationMs!: number;

  @ApiProperty()
  requestUrl!: string;

  @ApiProperty({ type: Number, nullable: true, description: 'null when no response came' })
  responseStatus!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'at most RESPONSE_CAPTURE_BYTES, in responseBodyEncoding' })
  responseBody!: string | null;

  @ApiProperty({ enum: ['utf8', 'base64'], nullable: true })
  responseBodyEncoding!: 'utf8' | 'base64' | null;

  @ApiProperty()
  responseBodyTruncated!: boolean;

  @ApiProperty({ type: String, nullable: true, example: 'timeout', description: 'null, or text such as "timeout", "connection refused", "blocked address", "redirect not followed"' })
  error!: string | null;

  @ApiProperty({ description: 'true once retention has removed the response body' })
  expired!: boolean;

  /** The request as sent, signature included (see deliveries/request-as-sent.ts for what is rebuilt). */
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, nullable: true, description: 'the request headers as sent, signature included' })
  requestHeaders!: Record<string, string> | null;

  @ApiProperty({ type: String, nullable: true, description: 'the request body as sent; null once the payload has expired' })
  requestBody!: string | null;

  /** true: the rebuilt body matches the recorded signature, byte for byte what was sent. */
  @ApiProperty({ description: 'true: the body shown matches the signature recorded with the attempt, byte for byte as sent' })
  requestVerified!: boolean;
}

@ApiSchema({ name: 'DeliveryDetail' })
export class DeliveryDetailResponse extends DeliveryResponse {
  @ApiProperty({ type: [AttemptResponse] })
  attempts!: AttemptResponse[];
}
