import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

/** One problem with one field of the request (SPEC §3). */
@ApiSchema({ name: 'ErrorDetail' })
export class ErrorDetail {
  @ApiProperty({ example: 'events[3].type', description: 'the field, named by its path in the body, query or headers' })
  field!: string;

  @ApiProperty({ example: 'events[3].type must be a string' })
  message!: string;
}

/** Every error, whatever raised it (see common/domain-error.filter.ts): `message` is always one string. */
@ApiSchema({ name: 'ErrorResponse' })
export class ErrorResponse {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request', description: 'the reason phrase of the status' })
  error!: string;

  @ApiProperty({ example: 'url must be an http or https URL', description: 'one string; with several field problems, their messages joined by "; "' })
  message!: string;

  @ApiPropertyOptional({ type: [ErrorDetail], description: 'every field problem found (400 only)' })
  details?: ErrorDetail[];
}
