/**
 * The exact source text of a top-level member of a JSON object, e.g. `data` of a publish body,
 * so an event's data reaches receivers byte for byte as published: JSON.parse + stringify
 * would move integer-like keys first ({"b":1,"10":2} → {"10":2,"b":1}) and round big numbers.
 * Expects text that JSON.parse accepted; returns null when `member` is absent. Like JSON.parse,
 * the last of repeated members wins.
 */
export function rawJsonMember(json: string, member: string): string | null {
  let i = skipWhitespace(json, 0);
  if (json[i] !== '{') return null;
  i = skipWhitespace(json, i + 1);
  let found: string | null = null;
  while (i < json.length && json[i] !== '}') {
    const keyEnd = endOfString(json, i);
    const key = JSON.parse(json.slice(i, keyEnd)) as string;
    i = skipWhitespace(json, keyEnd) + 1; // past ':'
    i = skipWhitespace(json, i);
    const valueEnd = endOfValue(json, i);
    if (key === member) found = json.slice(i, valueEnd);
    i = skipWhitespace(json, valueEnd);
    if (json[i] === ',') i = skipWhitespace(json, i + 1);
  }
  return found;
}

/** The exact source text of each element of a JSON array (text that JSON.parse accepted). */
export function rawJsonElements(json: string): string[] | null {
  let i = skipWhitespace(json, 0);
  if (json[i] !== '[') return null;
  i = skipWhitespace(json, i + 1);
  const elements: string[] = [];
  while (i < json.length && json[i] !== ']') {
    const end = endOfValue(json, i);
    elements.push(json.slice(i, end));
    i = skipWhitespace(json, end);
    if (json[i] === ',') i = skipWhitespace(json, i + 1);
  }
  return elements;
}

function skipWhitespace(json: string, i: number): number {
  while (i < json.length && (json[i] === ' ' || json[i] === '\n' || json[i] === '\r' || json[i] === '\t')) i++;
  return i;
}

/** `i` is at an opening quote; returns the index just past the closing one. */
function endOfString(json: string, i: number): number {
  for (let j = i + 1; j < json.length; j++) {
    if (json[j] === '\\') j++;
    else if (json[j] === '"') return j + 1;
  }
  return json.length;
}

function endOfValue(json: string, i: number): number {
  const first = json[i];
  if (first === '"') return endOfString(json, i);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let j = i; j < json.length; j++) {
      const c = json[j];
      if (c === '"') j = endOfString(json, j) - 1;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return json.length;
  }
  let j = i;
  while (j < json.length && !',}] \n\r\t'.includes(json[j])) j++;
  return j;
}
