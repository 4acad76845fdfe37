/**
 * The benchmark's webhook receiver, run in its own process: plain node:http on 127.0.0.1,
 * answers 200 at once (except under /hang: never), and records per path bucket (first path segment) the arrival time of
 * each (path, webhook-id). The parent asks for counts and arrivals over IPC.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

interface Bucket {
  count: number;
  bytes: number;
  duplicates: number;
  first: number;
  last: number;
  arrivals: Map<string, number>;
  sample: { path: string; headers: Record<string, string>; body: string } | null;
}

export type ReceiverRequest =
  | { reqId: number; cmd: 'stats'; bucket: string; arrivals?: boolean }
  | { reqId: number; cmd: 'reset'; bucket: string };

export interface BucketStats {
  count: number;
  unique: number;
  duplicates: number;
  bytes: number;
  first: number | null;
  last: number | null;
  sample: Bucket['sample'];
  /** [event id, arrival ms] per delivery (one per path for fan-out). */
  arrivals?: Array<[string, number]>;
}

const buckets = new Map<string, Bucket>();

function bucketFor(name: string): Bucket {
  let bucket = buckets.get(name);
  if (!bucket) {
    bucket = { count: 0, bytes: 0, duplicates: 0, first: 0, last: 0, arrivals: new Map(), sample: null };
    buckets.set(name, bucket);
  }
  return bucket;
}

const OK_HEADERS = { 'content-type': 'text/plain', 'content-length': '2' };

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
  });
  req.on('end', () => {
    const now = Date.now();
    const path = req.url ?? '/';
    const slash = path.indexOf('/', 1);
    const bucket = bucketFor(slash === -1 ? path.slice(1) : path.slice(1, slash));
    const id = String(req.headers['webhook-id'] ?? '');
    const key = `${path}|${id}`;
    if (bucket.arrivals.has(key)) bucket.duplicates++;
    else bucket.arrivals.set(key, now);
    if (bucket.count === 0) {
      bucket.first = now;
      bucket.sample = {
        path,
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? ''])),
        body: Buffer.concat(chunks, size).toString('utf8'),
      };
    }
    bucket.count++;
    bucket.bytes += size;
    bucket.last = now;
    // The hanging neighbour: paths under /hang are never answered (the service's timeout ends them).
    if (path.startsWith('/hang')) {
      res.setTimeout(120_000, () => res.destroy());
      return;
    }
    res.writeHead(200, OK_HEADERS).end('ok');
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 125_000;

function stats(name: string, withArrivals: boolean): BucketStats {
  const b = buckets.get(name);
  if (!b) return { count: 0, unique: 0, duplicates: 0, bytes: 0, first: null, last: null, sample: null, arrivals: withArrivals ? [] : undefined };
  return {
    count: b.count,
    unique: b.arrivals.size,
    duplicates: b.duplicates,
    bytes: b.bytes,
    first: b.first,
    last: b.last,
    sample: b.sample,
    arrivals: withArrivals ? Array.from(b.arrivals, ([key, t]) => [key.slice(key.indexOf('|') + 1), t] as [string, number]) : undefined,
  };
}

process.on('message', (message: ReceiverRequest) => {
  if (message.cmd === 'stats') process.send!({ reqId: message.reqId, result: stats(message.bucket, message.arrivals === true) });
  else if (message.cmd === 'reset') {
    buckets.delete(message.bucket);
    process.send!({ reqId: message.reqId, result: true });
  }
});
// The parent going away (crash, SIGKILL) must not leave the receiver running.
process.on('disconnect', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  process.send!({ ready: true, port: (server.address() as AddressInfo).port });
});
