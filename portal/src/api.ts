// Every call the portal makes, and every type it reads, lives here. The types come from the
// OpenAPI document (/docs-json) through openapi-typescript (./generated/openapi.d.ts, regenerated
// by `npm run generate:api`; npm test fails when it is out of date), under the names the pages use.
import type { components, paths } from './generated/openapi';
import { createSseParser } from './sse';

type Schemas = components['schemas'];

export type Endpoint = Schemas['Endpoint'];
export type EndpointPage = Schemas['EndpointPage'];
/** The body of POST and PATCH `/endpoints`; PATCH takes any subset. */
export type EndpointInput = Schemas['UpdateEndpointDto'];
export type Circuit = Schemas['Circuit'];
export type SignatureScheme = Schemas['SignatureScheme'];
export type DisabledReason = NonNullable<Endpoint['disabledReason']>;
export type CircuitState = Circuit['state'];

export type Event = Schemas['Event'];
export type EventSummary = Schemas['EventSummary'];
export type EventPage = Schemas['EventPage'];
export type EventDetail = Schemas['EventDetail'];
export type PublishedEvent = Schemas['PublishedEvent'];

export type Delivery = Schemas['Delivery'];
export type DeliveryStatus = Schemas['DeliveryStatus'];
export type DeliveryPage = Schemas['DeliveryPage'];
export type Attempt = Schemas['Attempt'];
export type DeliveryDetail = Schemas['DeliveryDetail'];

export type StatsBucket = Schemas['StatsBucket'];
export type StatsBucketSize = Schemas['StatsBucketSize'];
export type EndpointStats = Schemas['EndpointStats'];
export type EndpointSecret = Schemas['EndpointSecret'];
export type RecoverResult = Schemas['RecoverResult'];

/** The body of POST .../endpoints/{id}/test. */
export type TestEventInput = NonNullable<paths['/v1/tenants/{tenantId}/endpoints/{id}/test']['post']['requestBody']>['content']['application/json'];

/** The `done` message of the explanation stream (text/event-stream, so not a schema of the document). */
export interface ExplainDone {
  source: EventSummary['source'];
  model: string | null;
}

export type ApiErrorDetail = Schemas['ErrorDetail'];
export type ApiError = Schemas['ErrorResponse'];

/** A failed call: `status` 0 means the server was not reached. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError | null,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  get details(): ApiErrorDetail[] {
    return this.body?.details ?? [];
  }
}

interface ApiConfig {
  token: string;
  tenant: string;
  onUnauthorized: () => void;
}

let config: ApiConfig | null = null;

export function configureApi(next: ApiConfig): void {
  config = next;
}

type Query = Record<string, string | number | undefined | null>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  accept?: string;
}

async function send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
  if (!config) throw new Error('API used before configureApi()');
  const url = new URL(`/v1/tenants/${encodeURIComponent(config.tenant)}${path}`, window.location.origin);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  const headers: Record<string, string> = {
    Authorization: `Bearer ${config.token}`,
    Accept: options.accept ?? 'application/json',
  };
  // Only with a body: Fastify refuses an empty body labelled application/json.
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch (error) {
    if (isAbortError(error)) throw error;
    throw new HttpError(0, null, 'The server could not be reached. Check your connection and try again.');
  }
  if (!response.ok) throw await toHttpError(response, method);
  return response;
}

async function toHttpError(response: Response, method: string): Promise<HttpError> {
  let body: ApiError | null = null;
  try {
    const value: unknown = await response.json();
    if (isApiError(value)) body = value;
  } catch {
    // Not our error shape (a proxy's HTML page, say): fall back to the status line.
  }
  if (response.status === 401) {
    config?.onUnauthorized();
    return new HttpError(401, body, 'This portal session has expired or was revoked.');
  }
  if (response.status === 403 && method !== 'GET') {
    return new HttpError(403, body, 'This portal session is read-only: it cannot change anything.');
  }
  const message = body?.message ?? `${response.status} ${response.statusText || 'error'}`;
  return new HttpError(response.status, body, message);
}

function isApiError(value: unknown): value is ApiError {
  return typeof value === 'object' && value !== null && typeof (value as ApiError).message === 'string';
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

async function request<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
  const response = await send(method, path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

const id = encodeURIComponent;

// Endpoints

export function listEndpoints(query: { limit?: number; cursor?: string | null }, signal?: AbortSignal) {
  return request<EndpointPage>('GET', '/endpoints', { query, signal });
}

/** Every endpoint of the tenant (at most MAX_ENDPOINTS_PER_TENANT, 500 by default). */
export async function listAllEndpoints(signal?: AbortSignal): Promise<Endpoint[]> {
  const all: Endpoint[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 20; page++) {
    const result: EndpointPage = await listEndpoints({ limit: 100, cursor }, signal);
    all.push(...result.data);
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return all;
}

export const getEndpoint = (endpointId: string, signal?: AbortSignal) =>
  request<Endpoint>('GET', `/endpoints/${id(endpointId)}`, { signal });

export const createEndpoint = (body: EndpointInput) => request<Endpoint>('POST', '/endpoints', { body });

export const updateEndpoint = (endpointId: string, body: EndpointInput) =>
  request<Endpoint>('PATCH', `/endpoints/${id(endpointId)}`, { body });

export const deleteEndpoint = (endpointId: string) => request<void>('DELETE', `/endpoints/${id(endpointId)}`);

export const enableEndpoint = (endpointId: string) => request<Endpoint>('POST', `/endpoints/${id(endpointId)}/enable`);

export const getEndpointSecret = (endpointId: string) =>
  request<EndpointSecret>('GET', `/endpoints/${id(endpointId)}/secret`);

export const rotateEndpointSecret = (endpointId: string, gracePeriodSeconds: number) =>
  request<EndpointSecret>('POST', `/endpoints/${id(endpointId)}/secret/rotate`, { body: { gracePeriodSeconds } });

export const recoverEndpoint = (endpointId: string, since: string) =>
  request<RecoverResult>('POST', `/endpoints/${id(endpointId)}/recover`, { body: { since } });

export const sendTestEvent = (endpointId: string, body: TestEventInput = {}) =>
  request<PublishedEvent>('POST', `/endpoints/${id(endpointId)}/test`, { body });

export const getEndpointStats = (
  endpointId: string,
  query: { since: string; until?: string; bucket: StatsBucketSize },
  signal?: AbortSignal,
) => request<EndpointStats>('GET', `/endpoints/${id(endpointId)}/stats`, { query: { ...query }, signal });

// Events

/** The list filters of the document, where `cursor` may also be null (the first page). */
type ListQuery<Path extends keyof paths> = WithNullCursor<NonNullable<paths[Path] extends { get: { parameters: { query?: infer Q } } } ? Q : never>>;
type WithNullCursor<Q> = { [K in keyof Q]?: K extends 'cursor' ? Q[K] | null : Q[K] };

export type EventQuery = ListQuery<'/v1/tenants/{tenantId}/events'>;

export const listEvents = (query: EventQuery, signal?: AbortSignal) =>
  request<EventPage>('GET', '/events', { query: { ...query }, signal });

export async function getEvent(eventId: string, signal?: AbortSignal): Promise<EventDetail> {
  const response = await send('GET', `/events/${id(eventId)}`, { signal });
  return parseKeepingNumbers(await response.text()) as EventDetail;
}

// Deliveries

export type DeliveryQuery = ListQuery<'/v1/tenants/{tenantId}/deliveries'>;

export const listDeliveries = (query: DeliveryQuery, signal?: AbortSignal) =>
  request<DeliveryPage>('GET', '/deliveries', { query: { ...query }, signal });

export const getDelivery = (deliveryId: string, signal?: AbortSignal) =>
  request<DeliveryDetail>('GET', `/deliveries/${id(deliveryId)}`, { signal });

export const retryDelivery = (deliveryId: string) => request<Delivery>('POST', `/deliveries/${id(deliveryId)}/retry`);

/**
 * Streams the explanation of a failing delivery (`text/event-stream`: `token` messages, then
 * `done` or `error`). Resolves with the `done` data; rejects with an HttpError for an `error`
 * message or a stream that ends early, and with an AbortError when `signal` aborts.
 */
export async function explainDelivery(
  deliveryId: string,
  onToken: (text: string) => void,
  signal: AbortSignal,
): Promise<ExplainDone> {
  const response = await send('POST', `/deliveries/${id(deliveryId)}/explain`, { signal, accept: 'text/event-stream' });
  if (!response.body) throw new HttpError(0, null, 'This browser cannot read a streamed response.');
  let done: ExplainDone | null = null;
  let failure: string | null = null;
  const parser = createSseParser((message) => {
    if (done || failure) return;
    const data = parseJsonObject(message.data);
    if (message.event === 'token' && typeof data?.text === 'string') onToken(data.text);
    else if (message.event === 'done') {
      done = { source: data?.source === 'llm' ? 'llm' : 'offline', model: typeof data?.model === 'string' ? data.model : null };
    } else if (message.event === 'error') {
      failure = typeof data?.message === 'string' ? data.message : 'The explanation failed.';
    }
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    while (!done && !failure) {
      const chunk = await reader.read();
      if (chunk.done) break;
      parser.feed(chunk.value);
    }
    parser.end();
  } finally {
    // Stop the download as soon as we have what we need (or were aborted).
    reader.cancel().catch(() => undefined);
  }
  if (failure) throw new HttpError(0, null, failure);
  if (!done) throw new HttpError(0, null, 'The explanation stopped before it was finished. Try again.');
  return done;
}

function parseJsonObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

interface JsonWithRaw {
  rawJSON?: (text: string) => unknown;
}

/**
 * Event data is stored byte for byte; plain JSON.parse would turn 12345678901234567890 into
 * 12345678901234567000 and 1e400 into Infinity on screen. Where the browser has JSON.rawJSON
 * (and the reviver's source text), such numbers keep their original text for display.
 */
function parseKeepingNumbers(text: string): unknown {
  const rawJSON = (JSON as unknown as JsonWithRaw).rawJSON;
  if (!rawJSON) return JSON.parse(text);
  return JSON.parse(text, function (this: unknown, _key: string, value: unknown, context?: { source?: string }) {
    if (typeof value === 'number' && context?.source !== undefined && String(value) !== context.source) {
      return rawJSON(context.source);
    }
    return value;
  } as (this: unknown, key: string, value: unknown) => unknown);
}
