import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../support/wait';

/** What the fake does with one request. Scripted per request, in order; `success` when the script is empty. */
export type FakeBehaviour =
  | { kind: 'success'; text?: string; usage?: { input: number; output: number } | null; chunkChars?: number; chunkDelayMs?: number }
  | { kind: 'status'; status: number; retryAfter?: string; body?: string }
  /** Accepts the request and never answers, not even headers. */
  | { kind: 'hang' }
  /** Sends headers and part of the reply, then nothing more. */
  | { kind: 'stall'; text?: string }
  /** Sends the text, then ends the body without the terminal event. */
  | { kind: 'cut'; text?: string }
  /** A provider error object inside a 200 stream. */
  | { kind: 'in-band-error'; text?: string; errorType?: string }
  /** Streams text without end until the client disconnects (or `maxMs` passes). */
  | { kind: 'runaway'; intervalMs?: number; maxMs?: number }
  /** 200 with a body that is not an event stream. */
  | { kind: 'garbage'; body?: string };

export type Protocol = 'openai' | 'anthropic';

export interface RecordedRequest {
  protocol: Protocol;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: unknown;
  behaviour: FakeBehaviour['kind'];
  receivedAt: number;
  /** When the client closed the connection before the server finished; null when it did not. */
  clientClosedAt: number | null;
  /** When the server finished the reply itself; null while running or when the client left first. */
  serverFinishedAt: number | null;
  bytesSent: number;
}

export interface FakeLlmServer {
  /** Base URL for ANTHROPIC_BASE_URL (`/v1/messages` is appended). */
  readonly url: string;
  /** Base URL for OPENAI_BASE_URL (`/chat/completions` is appended). */
  readonly openaiBaseUrl: string;
  readonly requests: RecordedRequest[];
  /** Queue behaviours for the next requests, in order. */
  script(...behaviours: FakeBehaviour[]): void;
  /** Behaviour once the script is used up. */
  setDefault(behaviour: FakeBehaviour): void;
  reset(): void;
  /** Resolves once `count` requests arrived (polls; rejects after `timeoutMs`). */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_FAKE_TEXT = 'Invoice in_1 was paid.';

export async function startFakeLlmServer(): Promise<FakeLlmServer> {
  const requests: RecordedRequest[] = [];
  let queue: FakeBehaviour[] = [];
  let fallback: FakeBehaviour = { kind: 'success' };
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const protocol: Protocol | null = req.url === '/v1/chat/completions' ? 'openai' : req.url === '/v1/messages' ? 'anthropic' : null;
      if (req.method !== 'POST' || protocol === null) {
        res.writeHead(404).end();
        return;
      }
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = null;
      }
      const behaviour = queue.shift() ?? fallback;
      const record: RecordedRequest = {
        protocol, path: req.url ?? '', headers: req.headers, rawBody, body, behaviour: behaviour.kind,
        receivedAt: Date.now(), clientClosedAt: null, serverFinishedAt: null, bytesSent: 0,
      };
      requests.push(record);
      res.on('close', () => {
        if (record.serverFinishedAt === null) record.clientClosedAt = Date.now();
      });
      respond(protocol, behaviour, res, record, later);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    requests,
    script: (...behaviours) => void queue.push(...behaviours),
    setDefault: (behaviour) => void (fallback = behaviour),
    reset: () => {
      queue = [];
      fallback = { kind: 'success' };
      requests.length = 0;
    },
    async waitForRequests(count, timeoutMs = 5000) {
      await waitFor(() => requests.length >= count, timeoutMs, `${count} requests`);
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function respond(
  protocol: Protocol,
  behaviour: FakeBehaviour,
  res: ServerResponse,
  record: RecordedRequest,
  later: (ms: number, fn: () => void) => void,
): void {
  const model = modelOf(record.body);
  const write = (text: string): void => {
    if (res.destroyed || res.writableEnded) return;
    record.bytesSent += Buffer.byteLength(text);
    res.write(text);
  };
  const finish = (): void => {
    if (res.destroyed || res.writableEnded) return;
    record.serverFinishedAt = Date.now();
    res.end();
  };
  const startStream = (): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
  };
  const sse = protocol === 'openai' ? openAiEvents(model) : anthropicEvents(model);

  switch (behaviour.kind) {
    case 'success': {
      const text = behaviour.text ?? DEFAULT_FAKE_TEXT;
      const usage = behaviour.usage === undefined ? { input: 120, output: Math.ceil(text.length / 4) } : behaviour.usage;
      const size = behaviour.chunkChars ?? 8;
      const pieces = [sse.start(usage)];
      for (let i = 0; i < text.length; i += size) pieces.push(sse.delta(text.slice(i, i + size)));
      pieces.push(sse.end(usage));
      startStream();
      const delay = behaviour.chunkDelayMs ?? 0;
      if (delay === 0) {
        for (const piece of pieces) write(piece);
        finish();
      } else {
        const next = (i: number): void => {
          if (i >= pieces.length) return finish();
          write(pieces[i]);
          later(delay, () => next(i + 1));
        };
        next(0);
      }
      return;
    }
    case 'status': {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (behaviour.retryAfter !== undefined) headers['retry-after'] = behaviour.retryAfter;
      res.writeHead(behaviour.status, headers);
      write(behaviour.body ?? JSON.stringify({ error: { type: 'fake_error', message: `status ${behaviour.status}` } }));
      finish();
      return;
    }
    case 'hang':
      return;
    case 'stall':
      startStream();
      write(sse.start(null));
      write(sse.delta(behaviour.text ?? 'Invoice'));
      return;
    case 'cut':
      startStream();
      write(sse.start(null));
      write(sse.delta(behaviour.text ?? DEFAULT_FAKE_TEXT));
      finish();
      return;
    case 'in-band-error':
      startStream();
      write(sse.start(null));
      if (behaviour.text) write(sse.delta(behaviour.text));
      write(sse.error(behaviour.errorType ?? (protocol === 'openai' ? 'server_error' : 'overloaded_error')));
      if (protocol === 'openai') write(sse.done());
      finish();
      return;
    case 'runaway': {
      startStream();
      write(sse.start(null));
      const started = Date.now();
      const tick = (): void => {
        if (res.destroyed || res.writableEnded) return;
        if (Date.now() - started > (behaviour.maxMs ?? 10_000)) {
          write(sse.end({ input: 1, output: 1 }));
          return finish();
        }
        write(sse.delta('and on and on '));
        later(behaviour.intervalMs ?? 2, tick);
      };
      tick();
      return;
    }
    case 'garbage':
      res.writeHead(200, { 'content-type': 'application/json' });
      write(behaviour.body ?? JSON.stringify({ choices: [{ message: { content: 'not a stream' } }] }));
      finish();
      return;
  }
}

interface EventWriter {
  start(usage: { input: number; output: number } | null): string;
  delta(text: string): string;
  end(usage: { input: number; output: number } | null): string;
  error(type: string): string;
  done(): string;
}

function openAiEvents(model: string): EventWriter {
  const data = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null): Record<string, unknown> => ({
    id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 0, model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  return {
    start: () => data(chunk({ role: 'assistant', content: '' }, null)),
    delta: (text) => data(chunk({ content: text }, null)),
    end: (usage) =>
      data(chunk({}, 'stop')) +
      (usage ? data({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', model, choices: [], usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } }) : '') +
      'data: [DONE]\n\n',
    error: (type) => data({ error: { type, code: null, message: 'The server had an error while processing your request.' } }),
    done: () => 'data: [DONE]\n\n',
  };
}

function anthropicEvents(model: string): EventWriter {
  const event = (name: string, value: unknown): string => `event: ${name}\ndata: ${JSON.stringify(value)}\n\n`;
  return {
    start: (usage) =>
      event('message_start', {
        type: 'message_start',
        message: { id: 'msg_fake', type: 'message', role: 'assistant', model, content: [], stop_reason: null, usage: { input_tokens: usage?.input ?? 10, output_tokens: 1 } },
      }) + event('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) + event('ping', { type: 'ping' }),
    delta: (text) => event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
    end: (usage) =>
      event('content_block_stop', { type: 'content_block_stop', index: 0 }) +
      event('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, ...(usage ? { usage: { output_tokens: usage.output } } : {}) }) +
      event('message_stop', { type: 'message_stop' }),
    error: (type) => event('error', { type: 'error', error: { type, message: 'Overloaded' } }),
    done: () => '',
  };
}

function modelOf(body: unknown): string {
  if (body !== null && typeof body === 'object' && 'model' in body && typeof body.model === 'string') return body.model;
  return 'fake-model';
}
