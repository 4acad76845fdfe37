import type { JsonScan } from '../common/json-body';

export type Principal = { kind: 'admin' } | { kind: 'tenant'; tenantId: string; keyId: string };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** Set by the JSON body parser (bootstrap.ts). */
    jsonScan?: JsonScan;
  }
}
