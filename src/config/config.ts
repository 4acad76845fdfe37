import { parseDuration } from '../common/duration';

export type Role = 'all' | 'api' | 'worker';
export type LlmProviderKind = 'openai' | 'anthropic';

export interface LlmProviderSpec {
  kind: LlmProviderKind;
  model: string;
}

export interface LlmConfig {
  providers: LlmProviderSpec[];
  openai: { apiKey: string | null; baseUrl: string };
  anthropic: { apiKey: string | null; baseUrl: string };
  summaryDeadlineMs: number;
  tenantDailyTokenBudget: number;
  /** Model calls in flight at once in this process. */
  maxConcurrency: number;
  /** Model calls per minute per provider across every process; null = no limit. */
  requestsPerMinute: number | null;
}

export interface AppConfig {
  port: number;
  host: string;
  /** Where a worker-only process serves /health and /metrics; null = it serves nothing. */
  workerPort: number | null;
  databaseUrl: string | null;
  dataDir: string;
  adminToken: string | null;
  workerConcurrency: number;
  deliveryTimeoutMs: number;
  retryScheduleMs: number[];
  retryJitter: number;
  allowPrivateTargets: boolean;
  maxPayloadBytes: number;
  responseCaptureBytes: number;
  endpointDisableAfterMs: number;
  workerDeadAfterMs: number;
  retentionDays: number;
  /**
   * Days the delivery log's rows (events, deliveries, attempts) are kept, a partition at a time;
   * null = kept for ever, marked expired once their payloads go (SPEC §8).
   */
  logRetentionDays: number | null;
  /** Deepest nesting of objects and arrays accepted in a published `data`. */
  maxJsonDepth: number;
  maxEndpointsPerTenant: number;
  /** Default of an endpoint's maxInFlight. */
  endpointMaxInFlight: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  llm: LlmConfig;
  portal: PortalConfig;
}

export interface PortalConfig {
  /** Default lifetime of a portal session. */
  sessionTtlMs: number;
  /** The CSP frame-ancestors sources of the portal page: who may embed it in an iframe. */
  frameAncestors: string;
  /** Origin (and path prefix) the session URL starts with; null = a relative `/portal/#...` URL. */
  publicUrl: string | null;
}

/** The longest portal session (SPEC §11: at most 24 h). */
export const MAX_PORTAL_SESSION_TTL_MS = 24 * 3_600_000;

/** Every variable the service reads; docker-compose and the README are checked against it. */
export const CONFIG_VARIABLES = [
  'PORT', 'HOST', 'WORKER_PORT', 'DATABASE_URL', 'DATA_DIR', 'ADMIN_TOKEN', 'WORKER_CONCURRENCY', 'DELIVERY_TIMEOUT_MS',
  'RETRY_SCHEDULE', 'RETRY_JITTER', 'ALLOW_PRIVATE_TARGETS', 'MAX_PAYLOAD_BYTES', 'RESPONSE_CAPTURE_BYTES',
  'LLM_PROVIDERS', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL',
  'LLM_SUMMARY_DEADLINE_MS', 'LLM_TENANT_DAILY_TOKEN_BUDGET', 'ENDPOINT_DISABLE_AFTER', 'WORKER_DEAD_AFTER',
  'RETENTION_DAYS', 'LOG_RETENTION_DAYS', 'LOG_LEVEL', 'MAX_JSON_DEPTH', 'MAX_ENDPOINTS_PER_TENANT',
  'ENDPOINT_MAX_IN_FLIGHT', 'LLM_MAX_CONCURRENCY', 'LLM_REQUESTS_PER_MINUTE',
  'PORTAL_SESSION_TTL', 'PORTAL_FRAME_ANCESTORS', 'PUBLIC_URL',
] as const;

export class ConfigError extends Error {
  constructor(readonly variable: string, detail: string) {
    super(`Invalid ${variable}: ${detail}`);
  }
}

type Env = Record<string, string | undefined>;

/** Builds the one typed config object from the environment; throws ConfigError naming the variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected an integer, got "${raw}"`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
    return value;
  };
  const duration = (name: string, fallback: string, minMs = 1): number => {
    const raw = get(name) ?? fallback;
    const ms = parseDuration(raw);
    if (ms === null || ms < minMs) throw new ConfigError(name, `expected a duration like 500ms, 5s, 5m, 2h or 5d, got "${raw}"`);
    return ms;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    throw new ConfigError(name, `expected true or false, got "${raw}"`);
  };
  /** A URL of one of `schemes` (a database URL must be postgres://, a model's base URL http(s)://). */
  const url = (name: string, fallback: string | null, schemes: 'postgres' | 'http'): string | null => {
    const raw = get(name);
    if (raw === undefined) return fallback;
    const allowed = schemes === 'postgres' ? ['postgres:', 'postgresql:'] : ['http:', 'https:'];
    let protocol: string | null = null;
    try {
      protocol = new URL(raw).protocol;
    } catch {
      // not a URL
    }
    if (protocol === null || !allowed.includes(protocol)) {
      throw new ConfigError(name, `expected a ${allowed.map((p) => `${p}//`).join(' or ')} URL`);
    }
    return raw;
  };

  const retrySchedule = (get('RETRY_SCHEDULE') ?? '5s,5m,30m,2h,5h,10h,10h').split(',').map((part) => {
    const ms = parseDuration(part);
    if (ms === null) throw new ConfigError('RETRY_SCHEDULE', `"${part.trim()}" is not a duration (use ms, s, m or h)`);
    return ms;
  });

  const jitterRaw = get('RETRY_JITTER') ?? '0.2';
  const retryJitter = Number(jitterRaw);
  if (!/^\d*\.?\d+$/.test(jitterRaw) || retryJitter < 0 || retryJitter >= 1) {
    throw new ConfigError('RETRY_JITTER', `expected a number in [0, 1), got "${jitterRaw}"`);
  }

  const logLevel = (get('LOG_LEVEL') ?? 'info').toLowerCase();
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', 'expected one of fatal, error, warn, info, debug, trace, silent');
  }

  const portalTtl = duration('PORTAL_SESSION_TTL', '1h', 60_000);
  if (portalTtl > MAX_PORTAL_SESSION_TTL_MS) throw new ConfigError('PORTAL_SESSION_TTL', 'must be at most 24h');
  const frameAncestors = get('PORTAL_FRAME_ANCESTORS') ?? "'self'";
  // One CSP directive's sources: a semicolon or comma would end it and start another.
  if (!/^[\x21-\x7e]+( [\x21-\x7e]+)*$/.test(frameAncestors) || /[;,]/.test(frameAncestors)) {
    throw new ConfigError('PORTAL_FRAME_ANCESTORS', `expected CSP sources separated by spaces, such as "'self' https://app.example.com", got "${frameAncestors}"`);
  }
  const publicUrl = url('PUBLIC_URL', null, 'http');

  const retentionDays = int('RETENTION_DAYS', 30, 1, 3650);
  const logRetentionDays = get('LOG_RETENTION_DAYS') === undefined ? null : int('LOG_RETENTION_DAYS', 0, 1, 36500);
  if (logRetentionDays !== null && logRetentionDays < retentionDays) {
    throw new ConfigError('LOG_RETENTION_DAYS', `must be at least RETENTION_DAYS (${retentionDays}): the log rows outlive their payloads`);
  }

  const adminToken = get('ADMIN_TOKEN') ?? null;
  if (adminToken !== null && adminToken.length < 16) throw new ConfigError('ADMIN_TOKEN', 'must be at least 16 characters');

  return {
    port: int('PORT', 3000, 0, 65535),
    workerPort: get('WORKER_PORT') === undefined ? null : int('WORKER_PORT', 0, 0, 65535),
    host: get('HOST') ?? '127.0.0.1',
    databaseUrl: url('DATABASE_URL', null, 'postgres'),
    dataDir: get('DATA_DIR') ?? './.data',
    adminToken,
    workerConcurrency: int('WORKER_CONCURRENCY', 64, 1, 1000),
    deliveryTimeoutMs: int('DELIVERY_TIMEOUT_MS', 15000, 100, 300000),
    retryScheduleMs: retrySchedule,
    retryJitter,
    allowPrivateTargets: bool('ALLOW_PRIVATE_TARGETS', false),
    maxPayloadBytes: int('MAX_PAYLOAD_BYTES', 262144, 1024, 10 * 1024 * 1024),
    responseCaptureBytes: int('RESPONSE_CAPTURE_BYTES', 16384, 0, 1024 * 1024),
    endpointDisableAfterMs: duration('ENDPOINT_DISABLE_AFTER', '5d'),
    workerDeadAfterMs: duration('WORKER_DEAD_AFTER', '60s', 1000),
    retentionDays,
    logRetentionDays,
    maxJsonDepth: int('MAX_JSON_DEPTH', 32, 1, 1000),
    // at most 32,768: an event's deliveries are numbered in 3 base32 characters of their id (deliveryIdSql)
    maxEndpointsPerTenant: int('MAX_ENDPOINTS_PER_TENANT', 500, 1, 32_768),
    endpointMaxInFlight: int('ENDPOINT_MAX_IN_FLIGHT', 16, 1, 256),
    logLevel: logLevel as AppConfig['logLevel'],
    llm: {
      providers: parseProviders(get('LLM_PROVIDERS')),
      openai: { apiKey: get('OPENAI_API_KEY') ?? null, baseUrl: url('OPENAI_BASE_URL', 'https://api.openai.com/v1', 'http')! },
      anthropic: { apiKey: get('ANTHROPIC_API_KEY') ?? null, baseUrl: url('ANTHROPIC_BASE_URL', 'https://api.anthropic.com', 'http')! },
      summaryDeadlineMs: int('LLM_SUMMARY_DEADLINE_MS', 3000, 0, 600000),
      tenantDailyTokenBudget: int('LLM_TENANT_DAILY_TOKEN_BUDGET', 200000, 0, 1_000_000_000),
      maxConcurrency: int('LLM_MAX_CONCURRENCY', 16, 1, 1000),
      requestsPerMinute: get('LLM_REQUESTS_PER_MINUTE') === undefined ? null : int('LLM_REQUESTS_PER_MINUTE', 0, 1, 1_000_000),
    },
    portal: { sessionTtlMs: portalTtl, frameAncestors, publicUrl: publicUrl === null ? null : publicUrl.replace(/\/+$/, '') },
  };
}

function parseProviders(raw: string | undefined): LlmProviderSpec[] {
  if (raw === undefined) return [];
  return raw.split(',').map((entry) => {
    const match = /^\s*(openai|anthropic):(.+?)\s*$/.exec(entry);
    if (!match) throw new ConfigError('LLM_PROVIDERS', `"${entry.trim()}" is not provider:model with provider openai or anthropic`);
    return { kind: match[1] as LlmProviderKind, model: match[2] };
  });
}

/** Injection token for AppConfig in the Nest container. */
export const APP_CONFIG = Symbol('APP_CONFIG');
