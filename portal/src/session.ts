export interface Session {
  token: string;
  tenant: string;
  readOnly: boolean;
  expiresAt: string | null;
}

const STORAGE_KEY = 'whk-portal-session';
const SESSION_KEYS = ['token', 'tenant', 'readOnly', 'expiresAt'];

/**
 * The link the API hands out carries the session in the URL fragment
 * (`#token=pts_...&tenant=ten_...&readOnly=0&expiresAt=...`, optionally after an in-app route
 * such as `#/events?token=...`). The fragment never reaches a server or a log; we still take it
 * out of the address bar at once so it is not bookmarked, shared or kept in history.
 */
export function takeSessionFromUrl(): Session | null {
  const hash = window.location.hash.replace(/^#/, '');
  const [route, query] = hash.startsWith('/') ? splitOnce(hash, '?') : ['', hash];
  const params = new URLSearchParams(query);
  const token = params.get('token');
  const tenant = params.get('tenant');
  let session: Session | null = null;
  if (token && tenant) {
    session = {
      token,
      tenant,
      readOnly: params.get('readOnly') === '1' || params.get('readOnly') === 'true',
      expiresAt: params.get('expiresAt'),
    };
    try {
      sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    } catch {
      // Storage can be off (private mode, sandboxed iframe): the session then lives for this page only.
    }
  }
  if (SESSION_KEYS.some((key) => params.has(key))) {
    for (const key of SESSION_KEYS) params.delete(key);
    const rest = params.toString();
    const fragment = route ? `#${route}${rest ? `?${rest}` : ''}` : '';
    history.replaceState(history.state, '', `${window.location.pathname}${window.location.search}${fragment}`);
  }
  return session ?? readStoredSession();
}

function readStoredSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const value: unknown = JSON.parse(raw);
    if (isSession(value)) return value;
  } catch {
    // Unreadable or malformed storage counts as no session.
  }
  return null;
}

export function forgetSession(): void {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing stored, nothing to forget.
  }
}

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.token === 'string' &&
    typeof v.tenant === 'string' &&
    typeof v.readOnly === 'boolean' &&
    (v.expiresAt === null || typeof v.expiresAt === 'string')
  );
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}
