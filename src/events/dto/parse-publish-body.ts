import { InvalidInputError } from '../../common/errors';
import { findJsonProblem, JsonScan } from '../../common/json-body';
import { EVENT_TYPE_PATTERN, MAX_EVENT_TYPE_LENGTH } from '../event-type';

/** MAX_JSON_DEPTH, and what the body parser's scan saw (the walk of `data` is skipped when nothing nests that deep). */
export interface DataLimits {
  maxJsonDepth: number;
  scan?: JsonScan;
}

/**
 * The publish body checked by hand: the same rules as PublishEventDto (which documents the
 * route), without class-transformer's deep copy of `data`, which is the hot path's largest cost.
 */
export function parsePublishBody(body: unknown, limits: DataLimits): { type: string; data: Record<string, unknown> } {
  const { type, data } = parseEvent(body, '', ['type', 'data'], limits);
  return { type, data };
}

export const MAX_BATCH_EVENTS = 100;

export interface BatchEventInput {
  type: string;
  data: Record<string, unknown>;
  idempotencyKey: string | null;
}

/** `{ events: [{ type, data, idempotencyKey? }, ...] }`, 1 to 100 events; fields named like `events[2].type`. */
export function parsePublishBatchBody(body: unknown, limits: DataLimits): BatchEventInput[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidInputError('body', 'must be a JSON object with events');
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'events') throw new InvalidInputError(key, 'is not a known field (property should not exist)');
  }
  const { events } = record;
  if (!Array.isArray(events) || events.length === 0 || events.length > MAX_BATCH_EVENTS) {
    throw new InvalidInputError('events', `must be an array of 1 to ${MAX_BATCH_EVENTS} events`);
  }
  const keys = new Set<string>();
  return events.map((event: unknown, i) => {
    const parsed = parseEvent(event, `events[${i}].`, ['type', 'data', 'idempotencyKey'], limits);
    if (parsed.idempotencyKey !== null) {
      if (keys.has(parsed.idempotencyKey)) throw new InvalidInputError(`events[${i}].idempotencyKey`, 'repeats the key of an earlier event in this batch');
      keys.add(parsed.idempotencyKey);
    }
    return parsed;
  });
}

function parseEvent(body: unknown, prefix: string, allowed: string[], limits: DataLimits): BatchEventInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidInputError(prefix ? prefix.slice(0, -1) : 'body', 'must be a JSON object with type and data');
  }
  const record = body as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) throw new InvalidInputError(`${prefix}${key}`, 'is not a known field (property should not exist)');
  }
  const { type, data, idempotencyKey } = record;
  if (typeof type !== 'string') throw new InvalidInputError(`${prefix}type`, 'must be a string');
  if (type.length > MAX_EVENT_TYPE_LENGTH) throw new InvalidInputError(`${prefix}type`, `must be at most ${MAX_EVENT_TYPE_LENGTH} characters`);
  if (!EVENT_TYPE_PATTERN.test(type)) throw new InvalidInputError(`${prefix}type`, 'must be dot-separated names of letters, digits, _ and -');
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new InvalidInputError(`${prefix}data`, 'must be a JSON object');
  // The body may nest no deeper than data can: a scan at or under the limit spares the walk.
  if (!limits.scan || limits.scan.maxDepth > limits.maxJsonDepth) {
    const problem = findJsonProblem(data, limits.maxJsonDepth, `${prefix}data`, !limits.scan);
    if (problem) throw new InvalidInputError(problem.field, problem.message);
  }
  if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || idempotencyKey.length < 1 || idempotencyKey.length > 255)) {
    throw new InvalidInputError(`${prefix}idempotencyKey`, 'must be a string of 1 to 255 characters');
  }
  return { type, data: data as Record<string, unknown>, idempotencyKey: idempotencyKey ?? null };
}
