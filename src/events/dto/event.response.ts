import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { RawJson } from '../../common/raw-json';
import { DeliveryResponse } from '../../deliveries/dto/delivery.response';
import type { Summary } from '../../summaries/summary.engine';

@ApiSchema({ name: 'PublishedEvent' })
export class PublishedEventResponse {
  @ApiProperty({ example: 'evt_01kb2m3n4p5q6r7s8t9v0w1x2y' })
  id!: string;

  @ApiProperty({ example: 'invoice.paid' })
  type!: string;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ description: 'the number of enabled endpoints whose filter matches' })
  deliveries!: number;
}

@ApiSchema({ name: 'PublishedEventBatch' })
export class PublishedEventBatchResponse {
  @ApiProperty({ type: [PublishedEventResponse], description: 'in the order of the request' })
  data!: PublishedEventResponse[];
}

@ApiSchema({ name: 'TestEvent' })
export class TestEventResponse extends PublishedEventResponse {
  @ApiProperty({ description: 'the one delivery, to this endpoint' })
  deliveryId!: string;
}

@ApiSchema({ name: 'EventSummary' })
export class EventSummaryResponse implements Summary {
  @ApiProperty()
  text!: string;

  @ApiProperty({ enum: ['llm', 'offline'] })
  source!: 'llm' | 'offline';

  @ApiProperty({ type: String, nullable: true })
  model!: string | null;
}

@ApiSchema({ name: 'Event' })
export class EventResponse {
  @ApiProperty({ example: 'evt_01kb2m3n4p5q6r7s8t9v0w1x2y' })
  id!: string;

  @ApiProperty({ example: 'invoice.paid' })
  type!: string;

  /** The published text of data, spliced into the response as is; null once the payload has expired (RETENTION_DAYS). */
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, description: 'byte for byte as published; null once the payload has expired (RETENTION_DAYS)' })
  data!: RawJson | null;

  /** null until the first delivery computed it. */
  @ApiProperty({ type: EventSummaryResponse, nullable: true, description: 'null until the first delivery computed it' })
  summary!: Summary | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty()
  expired!: boolean;
}

@ApiSchema({ name: 'EventPage' })
export class EventPage {
  @ApiProperty({ type: [EventResponse] })
  data!: EventResponse[];

  @ApiProperty({ type: String, nullable: true, description: 'pass as `cursor` for the next page; null on the last page' })
  nextCursor!: string | null;
}

@ApiSchema({ name: 'EventDetail' })
export class EventDetailResponse extends EventResponse {
  /** Every delivery of the event; `deliveries` holds at most the first 100. */
  @ApiProperty({ description: 'every delivery of the event' })
  deliveryCount!: number;

  @ApiProperty({ type: [DeliveryResponse], description: 'the first 100' })
  deliveries!: DeliveryResponse[];
}
