import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ListQueryDto } from '../../common/pagination';
import { EVENT_TYPE_PATTERN, MAX_EVENT_TYPE_LENGTH } from '../../events/event-type';
import { DELIVERY_STATUSES, DeliveryStatus } from '../delivery-status';

export class ListDeliveriesDto extends ListQueryDto {
  @ApiPropertyOptional({ example: 'ep_01kb2m3n4p5q6r7s8t9v0w1x2y' })
  @IsOptional()
  @IsString()
  @Matches(/^ep_[0-9a-z]{26}$/, { message: 'endpointId must be an endpoint id (ep_...)' })
  endpointId?: string;

  @ApiPropertyOptional({ example: 'evt_01kb2m3n4p5q6r7s8t9v0w1x2y' })
  @IsOptional()
  @IsString()
  @Matches(/^evt_[0-9a-z]{26}$/, { message: 'eventId must be an event id (evt_...)' })
  eventId?: string;

  @ApiPropertyOptional({ maxLength: MAX_EVENT_TYPE_LENGTH, example: 'invoice.paid' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_EVENT_TYPE_LENGTH)
  @Matches(EVENT_TYPE_PATTERN, { message: 'eventType must be an event type name' })
  eventType?: string;

  @ApiPropertyOptional({ enum: DELIVERY_STATUSES, enumName: 'DeliveryStatus' })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'since must be an ISO-8601 date-time' })
  since?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO-8601 date-time' })
  until?: string;
}
