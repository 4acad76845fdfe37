import { checkCharset, findJsonProblem, JsonBodyError, scanJson } from './json-body';

describe('scanJson', () => {
  it('measures nesting outside strings and notices \\u escapes', () => {
    expect(scanJson(Buffer.from('{"a":[1,{"b":"[{"}]}'))).toEqual({ maxDepth: 3, hasUnicodeEscapes: false });
    expect(scanJson(Buffer.from('{"a":"\\\\u0000"}'))).toEqual({ maxDepth: 1, hasUnicodeEscapes: false });
    expect(scanJson(Buffer.from('{"a":"x\\u0000"}'))).toEqual({ maxDepth: 1, hasUnicodeEscapes: true });
    expect(scanJson(Buffer.from('{"a":"\\"}{[\\""}'))).toEqual({ maxDepth: 1, hasUnicodeEscapes: false });
    expect(scanJson(Buffer.from('[[[[]]]]')).maxDepth).toBe(4);
  });
});

describe('checkCharset', () => {
  it.each([undefined, 'application/json', 'application/json; charset=utf-8', 'application/json;charset="UTF8"'])('accepts %p', (type) => {
    expect(() => checkCharset(type)).not.toThrow();
  });

  it.each(['application/json; charset=latin1', 'application/json; charset=utf-16'])('refuses %p with 415', (type) => {
    expect(() => checkCharset(type)).toThrow(JsonBodyError);
    try {
      checkCharset(type);
    } catch (error) {
      expect((error as JsonBodyError).statusCode).toBe(415);
    }
  });
});

describe('findJsonProblem', () => {
  it('names the first place PostgreSQL would refuse', () => {
    expect(findJsonProblem({ a: [1, { b: 'x\u0000' }] }, 10, 'data')).toEqual({ field: 'data.a[1].b', message: expect.stringMatching(/NUL/) });
    expect(findJsonProblem({ 'a b': '\ud800' }, 10, '')).toEqual({ field: '["a b"]', message: expect.stringMatching(/surrogate/) });
    expect(findJsonProblem([[[]]], 2, 'data')).toEqual({ field: 'data[0][0]', message: 'nests deeper than 2 levels of objects and arrays' });
    expect(findJsonProblem({ ok: '💥', n: null, list: [1, 'two'] }, 2, 'data')).toBeNull();
  });

  it('checks only the depth when asked to', () => {
    expect(findJsonProblem({ a: '\u0000' }, 5, 'data', false)).toBeNull();
  });
});
