import { InvalidInputError } from '../../common/errors';
import { EVENT_TYPE_PATTERN } from './publish-event.dto';

/**
 * The publish body checked by hand: the same rules as PublishEventDto (which documents the
 * route), without class-transformer's deep copy of `data`, which is the hot path's largest cost.
 */
export function parsePublishBody(body: unknown): { type: string; data: Record<string, unknown> } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidInputError('body', 'must be a JSON object with type and data');
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'type' && key !== 'data') throw new InvalidInputError(key, 'is not a known field (property should not exist)');
  }
  const { type, data } = record;
  if (typeof type !== 'string') throw new InvalidInputError('type', 'must be a string');
  if (type.length > 128) throw new InvalidInputError('type', 'must be at most 128 characters');
  if (!EVENT_TYPE_PATTERN.test(type)) throw new InvalidInputError('type', 'must be dot-separated names of letters, digits, _ and -');
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new InvalidInputError('data', 'must be a JSON object');
  return { type, data: data as Record<string, unknown> };
}
