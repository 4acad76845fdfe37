import { InvalidInputError } from '../../common/errors';
import { parsePublishBatchBody, parsePublishBody } from './parse-publish-body';

const LIMITS = { maxJsonDepth: 4 };

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

describe('parsePublishBody', () => {
  it('accepts a type and an object', () => {
    expect(parsePublishBody({ type: 'invoice.paid', data: { a: 1 } }, LIMITS)).toEqual({ type: 'invoice.paid', data: { a: 1 } });
  });

  it.each([
    [null, 'body'], [[], 'body'], ['x', 'body'], [{}, 'type'], [{ type: 1, data: {} }, 'type'], [{ type: 'a b', data: {} }, 'type'],
    [{ type: 'a.', data: {} }, 'type'], [{ type: 'x'.repeat(129), data: {} }, 'type'], [{ type: 'a' }, 'data'], [{ type: 'a', data: [] }, 'data'],
    [{ type: 'a', data: null }, 'data'], [{ type: 'a', data: 'x' }, 'data'], [{ type: 'a', data: {}, extra: 1 }, 'extra'],
    [{ type: 'a', data: nested(5) }, 'data.a.a.a.a'], [{ type: 'a', data: { list: [[[[]]]] } }, 'data.list\\[0\\]\\[0\\]\\[0\\]'],
    [{ type: 'a', data: { id: '\udc00' } }, 'data.id'], [{ type: 'a', data: { 'we ird': 'x\u0000' } }, 'data\\["we ird"\\]'],
    [{ type: 'a', data: { ['k\ud800']: 1 } }, 'data\\["k\\\\ud800"\\]'],
  ])('refuses %j naming %s', (body, field) => {
    expect(() => parsePublishBody(body, LIMITS)).toThrow(InvalidInputError);
    expect(() => parsePublishBody(body, LIMITS)).toThrow(new RegExp(`^${field} `));
  });

  it('accepts data exactly as deep as the limit, and well-formed surrogate pairs', () => {
    expect(parsePublishBody({ type: 'a', data: { ...nested(4), emoji: '💥' } }, LIMITS).data.emoji).toBe('💥');
  });

  it('skips the walk when the body parser saw nothing deep or escaped', () => {
    const data = nested(6);
    expect(parsePublishBody({ type: 'a', data }, { maxJsonDepth: 4, scan: { maxDepth: 4, hasUnicodeEscapes: false } }).data).toBe(data);
    expect(() => parsePublishBody({ type: 'a', data }, { maxJsonDepth: 4, scan: { maxDepth: 7, hasUnicodeEscapes: false } })).toThrow(/^data\.a\.a\.a\.a nests deeper than 4/);
  });
});

describe('parsePublishBatchBody', () => {
  it('accepts 1 to 100 events with optional idempotency keys', () => {
    expect(parsePublishBatchBody({ events: [{ type: 'a', data: {} }, { type: 'b', data: { x: 1 }, idempotencyKey: 'k' }] }, LIMITS)).toEqual([
      { type: 'a', data: {}, idempotencyKey: null },
      { type: 'b', data: { x: 1 }, idempotencyKey: 'k' },
    ]);
  });

  it.each([
    [null, 'body'], [{}, 'events'], [{ events: [] }, 'events'], [{ events: 'x' }, 'events'],
    [{ events: Array.from({ length: 101 }, () => ({ type: 'a', data: {} })) }, 'events'],
    [{ events: [{ type: 'a', data: {} }], more: 1 }, 'more'],
    [{ events: [{ type: 'a', data: {} }, { type: 'b c', data: {} }] }, 'events\\[1\\].type'],
    [{ events: [{ type: 'a', data: [] }] }, 'events\\[0\\].data'],
    [{ events: [{ type: 'a', data: {}, extra: 1 }] }, 'events\\[0\\].extra'],
    [{ events: [{ type: 'a', data: {}, idempotencyKey: '' }] }, 'events\\[0\\].idempotencyKey'],
    [{ events: [{ type: 'a', data: {}, idempotencyKey: 'k' }, { type: 'a', data: {}, idempotencyKey: 'k' }] }, 'events\\[1\\].idempotencyKey'],
    [{ events: [null] }, 'events\\[0\\]'],
    [{ events: [{ type: 'a', data: {} }, { type: 'a', data: nested(5) }] }, 'events\\[1\\].data.a.a.a.a'],
  ])('refuses %j naming %s', (body, field) => {
    expect(() => parsePublishBatchBody(body, LIMITS)).toThrow(new RegExp(`^${field} `));
  });
});
