import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorResponse } from './error.response';

/** What each error status means on this API (SPEC §3); one ErrorResponse schema for all. */
const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed input: `message` names the field, `details` lists every field problem',
  401: 'Missing, unknown, revoked or expired bearer token',
  403: 'A tenant key or portal session on an admin-only route, or a read-only portal session on a route that changes something',
  404: 'No such tenant or resource for this token (also for ids that cannot be ours)',
  409: 'The request conflicts with the state of the resource',
  413: 'The body is larger than MAX_PAYLOAD_BYTES',
  415: 'The body is not JSON, or not UTF-8',
};

/**
 * Documents error responses with the one ErrorResponse schema. The content type is written out
 * (not taken from @ApiProduces) so a streaming route's errors are still documented as JSON.
 */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(ErrorResponse),
    ...statuses.map((status) => ApiResponse({
      status,
      description: ERROR_DESCRIPTIONS[status] ?? 'Error',
      content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponse) } } },
    })),
  );
}

/** Errors of a route that takes a JSON body (besides its own). */
export const BODY_ERRORS = [400, 413, 415] as const;
