import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}

export type Responder = (req: ReceivedRequest, res: ServerResponse, index: number) => void | Promise<void>;

/** A real HTTP receiver on 127.0.0.1 that records every request (like Svix's TestReceiver). */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  private server: Server | null = null;
  private responder: Responder = (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  };

  get url(): string {
    const port = (this.server!.address() as AddressInfo).port;
    return `http://127.0.0.1:${port}`;
  }

  respondWith(responder: Responder): void {
    this.responder = responder;
  }

  /** Answers with the statuses in order, then 200 for every later request. */
  respondWithStatuses(statuses: number[], headers: Record<string, string> = {}): void {
    this.respondWith((_req, res, index) => {
      res.writeHead(statuses[index] ?? 200, headers).end(`response ${index}`);
    });
  }

  forPath(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const recorded: ReceivedRequest = {
          method: req.method ?? '',
          path: req.url ?? '',
          headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? ''])),
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAt: Date.now(),
        };
        const index = this.requests.length;
        this.requests.push(recorded);
        void Promise.resolve(this.responder(recorded, res, index)).catch(() => res.destroy());
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
