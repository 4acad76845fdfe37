import { useRef, useState } from 'preact/hooks';
import { createEndpoint, HttpError, updateEndpoint, type Endpoint, type EndpointInput, type SignatureScheme } from '../api';
import { errorMessage } from './Notice';

interface HeaderRow {
  key: number;
  name: string;
  value: string;
}

interface Fields {
  url: string;
  description: string;
  eventTypes: string;
  enabled: boolean;
  signatureScheme: SignatureScheme;
  summaries: boolean;
  rateLimitPerSecond: string;
  maxInFlight: string;
  headers: HeaderRow[];
}

type FieldName = Exclude<keyof Fields, 'headers'> | 'headers';
const FIELD_NAMES: FieldName[] = ['url', 'description', 'eventTypes', 'enabled', 'signatureScheme', 'summaries', 'rateLimitPerSecond', 'maxInFlight', 'headers'];

let nextKey = 1;

function initialFields(endpoint?: Endpoint): Fields {
  return {
    url: endpoint?.url ?? '',
    description: endpoint?.description ?? '',
    eventTypes: endpoint?.eventTypes.join(', ') ?? '',
    enabled: endpoint?.enabled ?? true,
    signatureScheme: endpoint?.signatureScheme ?? 'standard-webhooks',
    summaries: endpoint?.summaries ?? true,
    rateLimitPerSecond: endpoint?.rateLimitPerSecond?.toString() ?? '',
    maxInFlight: endpoint?.maxInFlight?.toString() ?? '',
    headers: Object.entries(endpoint?.headers ?? {}).map(([name, value]) => ({ key: nextKey++, name, value })),
  };
}

/** `details[].field` is a path such as `eventTypes[2]` or `headers.X-Team`: its first segment names our input. */
function fieldOf(path: string): FieldName | null {
  const root = path.split(/[.[]/)[0] as FieldName;
  return FIELD_NAMES.includes(root) ? root : null;
}

interface Errors {
  top: string;
  unplaced: string[];
  fields: Partial<Record<FieldName, string[]>>;
}

function toErrors(error: unknown): Errors {
  const errors: Errors = { top: errorMessage(error), unplaced: [], fields: {} };
  if (!(error instanceof HttpError)) return errors;
  for (const detail of error.details) {
    const field = fieldOf(detail.field);
    if (field) (errors.fields[field] ??= []).push(detail.message);
    else errors.unplaced.push(`${detail.field}: ${detail.message}`);
  }
  // Without details, a message that starts with a field's name ("url must be ...") still belongs to that field.
  if (error.details.length === 0) {
    const field = fieldOf(errors.top.split(' ')[0]);
    if (field) errors.fields[field] = [errors.top];
  }
  return errors;
}

function buildBody(fields: Fields, creating: boolean): EndpointInput | string {
  const headers: Record<string, string> = {};
  for (const row of fields.headers) {
    const name = row.name.trim();
    if (!name && !row.value) continue;
    if (!name) return 'Every extra header needs a name.';
    if (Object.keys(headers).some((existing) => existing.toLowerCase() === name.toLowerCase())) return `The header ${name} is listed twice.`;
    headers[name] = row.value;
  }
  const body: EndpointInput = {
    url: fields.url.trim(),
    eventTypes: fields.eventTypes.split(',').map((type) => type.trim()).filter(Boolean),
    enabled: fields.enabled,
    signatureScheme: fields.signatureScheme,
    summaries: fields.summaries,
    headers,
    rateLimitPerSecond: fields.rateLimitPerSecond.trim() === '' ? null : Number(fields.rateLimitPerSecond),
  };
  if (fields.description !== '' || !creating) body.description = fields.description;
  // Left empty, the server's default applies (ENDPOINT_MAX_IN_FLIGHT).
  if (fields.maxInFlight.trim() !== '') body.maxInFlight = Number(fields.maxInFlight);
  return body;
}

export function EndpointForm({ endpoint, onSaved }: { endpoint?: Endpoint; onSaved: (endpoint: Endpoint) => void }) {
  const [fields, setFields] = useState(() => initialFields(endpoint));
  const [errors, setErrors] = useState<Errors | null>(null);
  const [saving, setSaving] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);
  const creating = !endpoint;

  const set = <K extends keyof Fields>(name: K, value: Fields[K]) => setFields((current) => ({ ...current, [name]: value }));

  function fail(next: Errors) {
    setErrors(next);
    requestAnimationFrame(() => summaryRef.current?.focus());
  }

  async function onSubmit(event: SubmitEvent) {
    event.preventDefault();
    if (fields.url.trim() === '') return fail({ top: 'Enter the URL that should receive the webhooks.', unplaced: [], fields: { url: ['The URL is required.'] } });
    const body = buildBody(fields, creating);
    if (typeof body === 'string') return fail({ top: body, unplaced: [], fields: { headers: [body] } });
    setSaving(true);
    setErrors(null);
    try {
      onSaved(endpoint ? await updateEndpoint(endpoint.id, body) : await createEndpoint(body));
    } catch (error) {
      fail(toErrors(error));
    } finally {
      setSaving(false);
    }
  }

  const fieldError = (name: FieldName) => {
    const messages = errors?.fields[name];
    if (!messages?.length) return null;
    return (
      <p class="field-error" id={`ep-${name}-error`}>
        {messages.join(' ')}
      </p>
    );
  };
  const describedBy = (name: FieldName, hint = false) =>
    [hint ? `ep-${name}-hint` : '', errors?.fields[name]?.length ? `ep-${name}-error` : ''].filter(Boolean).join(' ') || undefined;
  const invalid = (name: FieldName) => (errors?.fields[name]?.length ? true : undefined);

  return (
    <form class="form" data-testid="endpoint-form" onSubmit={(event) => void onSubmit(event)} noValidate>
      <div ref={summaryRef} tabIndex={-1} class={errors ? 'notice notice-error' : undefined} role="alert">
        {errors && (
          <>
            <p>{errors.top}</p>
            {errors.unplaced.length > 0 && (
              <ul>
                {errors.unplaced.map((message) => (
                  <li key={message}>{message}</li>
                ))}
              </ul>
            )}
          </>
        )}
      </div>

      <div class="field">
        <label for="ep-url">URL</label>
        <input
          id="ep-url"
          name="url"
          type="text"
          inputMode="url"
          autoComplete="url"
          spellcheck={false}
          data-testid="endpoint-url-input"
          value={fields.url}
          onInput={(e) => set('url', e.currentTarget.value)}
          aria-invalid={invalid('url')}
          aria-describedby={describedBy('url', true)}
          aria-required="true"
        />
        <p class="hint" id="ep-url-hint">
          http or https, for example https://example.com/webhooks
        </p>
        {fieldError('url')}
      </div>

      <div class="field">
        <label for="ep-description">Description</label>
        <input
          id="ep-description"
          type="text"
          value={fields.description}
          onInput={(e) => set('description', e.currentTarget.value)}
          aria-invalid={invalid('description')}
          aria-describedby={describedBy('description')}
        />
        {fieldError('description')}
      </div>

      <div class="field">
        <label for="ep-event-types">Event types</label>
        <input
          id="ep-event-types"
          type="text"
          spellcheck={false}
          value={fields.eventTypes}
          onInput={(e) => set('eventTypes', e.currentTarget.value)}
          aria-invalid={invalid('eventTypes')}
          aria-describedby={describedBy('eventTypes', true)}
        />
        <p class="hint" id="ep-eventTypes-hint">
          Comma-separated names or prefix wildcards, such as invoice.*, customer.created. Empty means every type.
        </p>
        {fieldError('eventTypes')}
      </div>

      <div class="field">
        <label for="ep-scheme">Signature scheme</label>
        <select
          id="ep-scheme"
          value={fields.signatureScheme}
          onChange={(e) => set('signatureScheme', e.currentTarget.value as SignatureScheme)}
          aria-invalid={invalid('signatureScheme')}
          aria-describedby={describedBy('signatureScheme')}
        >
          <option value="standard-webhooks">Standard Webhooks (webhook-signature)</option>
          <option value="hmac-sha256-hex">HMAC-SHA256 hex, Stripe style (x-webhook-signature)</option>
        </select>
        {fieldError('signatureScheme')}
      </div>

      <div class="field-row">
        <div class="field">
          <label for="ep-rate">Rate limit (requests per second)</label>
          <input
            id="ep-rate"
            type="number"
            min={1}
            inputMode="numeric"
            value={fields.rateLimitPerSecond}
            onInput={(e) => set('rateLimitPerSecond', e.currentTarget.value)}
            aria-invalid={invalid('rateLimitPerSecond')}
            aria-describedby={describedBy('rateLimitPerSecond', true)}
          />
          <p class="hint" id="ep-rateLimitPerSecond-hint">
            Empty means unlimited.
          </p>
          {fieldError('rateLimitPerSecond')}
        </div>
        <div class="field">
          <label for="ep-inflight">Max requests in flight</label>
          <input
            id="ep-inflight"
            type="number"
            min={1}
            max={256}
            inputMode="numeric"
            value={fields.maxInFlight}
            onInput={(e) => set('maxInFlight', e.currentTarget.value)}
            aria-invalid={invalid('maxInFlight')}
            aria-describedby={describedBy('maxInFlight', true)}
          />
          <p class="hint" id="ep-maxInFlight-hint">
            1-256; empty means the service default.
          </p>
          {fieldError('maxInFlight')}
        </div>
      </div>

      <div class="field field-check">
        <input id="ep-enabled" type="checkbox" checked={fields.enabled} onChange={(e) => set('enabled', e.currentTarget.checked)} aria-describedby={describedBy('enabled')} />
        <label for="ep-enabled">Enabled</label>
        {fieldError('enabled')}
      </div>

      <div class="field field-check">
        <input
          id="ep-summaries"
          type="checkbox"
          checked={fields.summaries}
          onChange={(e) => set('summaries', e.currentTarget.checked)}
          aria-describedby={describedBy('summaries', true)}
        />
        <label for="ep-summaries">Include a summary</label>
        <p class="hint" id="ep-summaries-hint">
          Adds a one-sentence, human-readable summary of each event to the payload.
        </p>
        {fieldError('summaries')}
      </div>

      <fieldset class="fieldset" aria-describedby={describedBy('headers', true)}>
        <legend>Extra request headers</legend>
        <p class="hint" id="ep-headers-hint">
          Sent with every request. They cannot replace the signature, id, timestamp or content-type headers.
        </p>
        {fields.headers.map((row, index) => (
          <div class="header-row" key={row.key}>
            <label class="visually-hidden" for={`ep-header-name-${row.key}`}>
              Header {index + 1} name
            </label>
            <input
              id={`ep-header-name-${row.key}`}
              type="text"
              placeholder="Name"
              spellcheck={false}
              value={row.name}
              onInput={(e) => set('headers', fields.headers.map((r) => (r.key === row.key ? { ...r, name: e.currentTarget.value } : r)))}
            />
            <label class="visually-hidden" for={`ep-header-value-${row.key}`}>
              Header {index + 1} value
            </label>
            <input
              id={`ep-header-value-${row.key}`}
              type="text"
              placeholder="Value"
              spellcheck={false}
              value={row.value}
              onInput={(e) => set('headers', fields.headers.map((r) => (r.key === row.key ? { ...r, value: e.currentTarget.value } : r)))}
            />
            <button type="button" class="button-small" onClick={() => set('headers', fields.headers.filter((r) => r.key !== row.key))}>
              Remove<span class="visually-hidden"> header {index + 1}</span>
            </button>
          </div>
        ))}
        <button type="button" class="button-small" onClick={() => set('headers', [...fields.headers, { key: nextKey++, name: '', value: '' }])}>
          Add header
        </button>
        {fieldError('headers')}
      </fieldset>

      <div class="button-row">
        <button type="submit" class="button-primary" data-testid="endpoint-save" disabled={saving}>
          {saving ? 'Saving…' : creating ? 'Create endpoint' : 'Save changes'}
        </button>
        <a class="button" href={endpoint ? `#/endpoints/${endpoint.id}` : '#/endpoints'}>
          Cancel
        </a>
      </div>
    </form>
  );
}
