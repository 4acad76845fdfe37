import { rawJsonElements, rawJsonMember } from './raw-json-member';

describe('rawJsonMember', () => {
  it.each([
    '{"type":"a","data":{"b":1,"10":2}}',
    '{ "data" : { "z" : [1, {"x": "}]\\"{["}], "a": null } , "type": "t" }',
    '{"data":{"big":12345678901234567890,"f":1.0,"e":1e400,"s":"\\u00e9\\n"},"type":"x"}',
    '{"data":{},"data":{"last":true}}',
    '\n{\n  "type": "x",\n  "data": {\n    "nested": {"deep": [[], {}]}\n  }\n}\n',
    '{"type":"x","data":{"k\\"ey":"v","emoji":"💥"}}',
  ])('extracts data exactly from %s', (json) => {
    const raw = rawJsonMember(json, 'data');
    expect(raw).not.toBeNull();
    expect(JSON.parse(raw!)).toEqual(JSON.parse(json).data);
    expect(json).toContain(raw!);
  });

  it('keeps key order and number text that JSON.parse would change', () => {
    expect(rawJsonMember('{"type":"a","data":{"b":1,"10":2,"n":12345678901234567890}}', 'data')).toBe('{"b":1,"10":2,"n":12345678901234567890}');
  });

  it('returns null when the member is absent or the text is not an object', () => {
    expect(rawJsonMember('{"type":"a"}', 'data')).toBeNull();
    expect(rawJsonMember('[1,2]', 'data')).toBeNull();
    expect(rawJsonMember('{"nested":{"data":{}}}', 'data')).toBeNull();
  });
});

describe('rawJsonElements', () => {
  it('splits an array into the exact text of each element', () => {
    const json = '[ {"data":{"b":1,"10":2}} , "s]t" ,[1,[2]],3.50, null ]';
    expect(rawJsonElements(json)).toEqual(['{"data":{"b":1,"10":2}}', '"s]t"', '[1,[2]]', '3.50', 'null']);
    expect(rawJsonElements('[]')).toEqual([]);
    expect(rawJsonElements('{}')).toBeNull();
  });
});
