import { InvalidInputError } from '../../common/errors';
import { parsePublishBody } from './parse-publish-body';

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
