import { RawJson, stringifyWithRaw } from './raw-json';

describe('stringifyWithRaw', () => {
  it('splices raw JSON text in verbatim, wherever it sits', () => {
    const text = stringifyWithRaw({ a: 1, data: new RawJson('{"b":1,"10":2,"e":1e400}'), list: [{ data: new RawJson('[ 1 ,2]') }] });
    expect(text).toBe('{"a":1,"data":{"b":1,"10":2,"e":1e400},"list":[{"data":[ 1 ,2]}]}');
  });

  it('leaves strings that look like placeholders alone', () => {
    const text = stringifyWithRaw({ s: '@@raw-0000000000000000-0@@', data: new RawJson('{}') });
    expect(JSON.parse(text)).toEqual({ s: '@@raw-0000000000000000-0@@', data: {} });
  });

  it('handles nesting no recursive serialiser could', () => {
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    expect(stringifyWithRaw({ data: new RawJson(deep) })).toBe(`{"data":${deep}}`);
  });
});
