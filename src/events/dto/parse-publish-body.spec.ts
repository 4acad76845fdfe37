import { InvalidInputError } from '../../common/errors';
import { parsePublishBatchBody, parsePublishBody } from './parse-publish-body';

describe('parsePublishBody', () => {
  it('accepts a type and an object', () => {
    expect(parsePublishBody({ type: 'invoice.paid', data: { a: 1 } })).toEqual({ type: 'invoice.paid', data: { a: 1 } });
  });

  it.each([
    [null, 'body'], [[], 'body'], ['x', 'body'], [{}, 'type'], [{ type: 1, data: {} }, 'type'], [{ type: 'a b', data: {} }, 'type'],
    [{ type: 'a.', data: {} }, 'type'], [{ type: 'x'.repeat(129), data: {} }, 'type'], [{ type: 'a' }, 'data'], [{ type: 'a', data: [] }, 'data'],
    [{ type: 'a', data: null }, 'data'], [{ type: 'a', data: 'x' }, 'data'], [{ type: 'a', data: {}, extra: 1 }, 'extra'],
  ])('refuses %j naming %s', (body, field) => {
    expect(() => parsePublishBody(body)).toThrow(InvalidInputError);
    expect(() => parsePublishBody(body)).toThrow(new RegExp(`^${field} `));
  });
});

describe('parsePublishBatchBody', () => {
  it('accepts 1 to 100 events with optional idempotency keys', () => {
    expect(parsePublishBatchBody({ events: [{ type: 'a', data: {} }, { type: 'b', data: { x: 1 }, idempotencyKey: 'k' }] })).toEqual([
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
  ])('refuses %j naming %s', (body, field) => {
    expect(() => parsePublishBatchBody(body)).toThrow(new RegExp(`^${field} `));
  });
});
