import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ListQueryDto } from '../../common/pagination';
import { EVENT_TYPE_PATTERN, MAX_EVENT_TYPE_LENGTH } from '../event-type';

export class ListEventsDto extends ListQueryDto {
  @ApiPropertyOptional({ maxLength: MAX_EVENT_TYPE_LENGTH, example: 'invoice.paid' })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_EVENT_TYPE_LENGTH)
  @Matches(EVENT_TYPE_PATTERN, { message: 'type must be an event type name' })
  type?: string;

  @ApiPropertyOptional({ description: 'ISO-8601; events created at or after' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'since must be an ISO-8601 date-time' })
  since?: string;

  @ApiPropertyOptional({ description: 'ISO-8601; events created before' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'until must be an ISO-8601 date-time' })
  until?: string;
}
