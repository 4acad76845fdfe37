/**
 * The checks every JSON request body passes before any handler (or any batch) sees it:
 * PostgreSQL refuses text with NUL characters or unpaired surrogates, and nesting past its
 * stack depth, and one such value in a group-committed statement would fail every request
 * batched with it. Each problem is a 400 naming the place (`data.items[3].name`).
 */

/** What a scan of the raw bytes found: enough to skip the walk of the parsed value in the common case. */
export interface JsonScan {
  /** Deepest nesting of objects and arrays in the whole body (1 for `{}`). */
  maxDepth: number;
  /** Whether any `\u` escape occurs: the only way NUL or a lone surrogate gets into a parsed string. */
  hasUnicodeEscapes: boolean;
}

export class JsonBodyError extends Error {
  constructor(readonly statusCode: 400 | 415, message: string) {
    super(message);
  }
}

const BACKSLASH = 0x5c;
const QUOTE = 0x22;

/**
 * One pass over the bytes: depth outside strings and whether a `\u` escape occurs. Raw NUL
 * bytes are not valid JSON (JSON.parse refuses them) and valid UTF-8 cannot encode a
 * surrogate, so the escapes are the only way in.
 */
export function scanJson(bytes: Uint8Array): JsonScan {
  let depth = 0;
  let maxDepth = 0;
  let inString = false;
  let hasUnicodeEscapes = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) {
        if (bytes[i + 1] === 0x75) hasUnicodeEscapes = true; // 'u'
        i++;
      } else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > maxDepth) maxDepth = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return { maxDepth, hasUnicodeEscapes };
}

/** 415 unless the content type's charset (when given) is UTF-8. */
export function checkCharset(contentType: string | undefined): void {
  if (!contentType) return;
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  if (match && !/^utf-?8$/i.test(match[1])) {
    throw new JsonBodyError(415, `charset ${match[1].slice(0, 40)} is not supported: send JSON as UTF-8`);
  }
}

export function describePath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key.slice(0, 40))}]`;
}

/** Why a string cannot be stored, or null. */
function stringProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) return 'contains an unpaired UTF-16 surrogate, which is not valid Unicode';
  return null;
}

/**
 * The first value that PostgreSQL would refuse, depth-first: a string or key with NUL or an
 * unpaired surrogate, or nesting deeper than `maxDepth` (counting `value` itself as 1).
 * `checkStrings` false checks the depth only. Recursion is bounded by `maxDepth`.
 */
export function findJsonProblem(value: unknown, maxDepth: number, path: string, checkStrings = true): { field: string; message: string } | null {
  const visit = (node: unknown, at: string, depth: number): { field: string; message: string } | null => {
    if (typeof node === 'string') {
      const problem = checkStrings ? stringProblem(node) : null;
      return problem ? { field: at || 'body', message: problem } : null;
    }
    if (typeof node !== 'object' || node === null) return null;
    if (depth > maxDepth) return { field: at || 'body', message: `nests deeper than ${maxDepth} levels of objects and arrays` };
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const found = visit(node[i], describePath(at, i), depth + 1);
        if (found) return found;
      }
      return null;
    }
    for (const [key, child] of Object.entries(node as Record<string, unknown>)) {
      const keyProblem = checkStrings ? stringProblem(key) : null;
      if (keyProblem) return { field: describePath(at, key), message: `has a key that ${keyProblem}` };
      const found = visit(child, describePath(at, key), depth + 1);
      if (found) return found;
    }
    return null;
  };
  return visit(value, path, 1);
}
