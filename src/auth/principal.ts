import type { JsonScan } from '../common/json-body';

export type Principal =
  | { kind: 'admin' }
  | { kind: 'tenant'; tenantId: string; keyId: string }
  | { kind: 'portal'; tenantId: string; sessionId: string; readOnly: boolean };

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** Set by the JSON body parser (bootstrap.ts). */
    jsonScan?: JsonScan;
  }
}
