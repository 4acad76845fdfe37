import { randomBytes } from 'node:crypto';

/**
 * JSON text to be placed into a response as it is: an event's `data` is returned byte for
 * byte as published (key order, `1e400`, big integers), which a parse and re-serialise
 * would change, and its nesting never reaches a recursive serialiser.
 */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify, with every RawJson spliced in verbatim. */
export function stringifyWithRaw(value: unknown): string {
  const raws: string[] = [];
  // A fresh nonce per call: no string inside a tenant's data can pose as a placeholder.
  const tag = `@@raw-${randomBytes(8).toString('hex')}-`;
  const json = JSON.stringify(value, (_key, item: unknown) => {
    if (!(item instanceof RawJson)) return item;
    raws.push(item.text);
    return `${tag}${raws.length - 1}@@`;
  });
  if (raws.length === 0) return json;
  return json.replace(new RegExp(`"${tag}(\\d+)@@"`, 'g'), (_match, index: string) => raws[Number(index)]);
}
