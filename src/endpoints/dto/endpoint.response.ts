export interface EndpointResponse {
  id: string;
  tenantId: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  disabledReason: 'manual' | 'gone' | 'failing' | null;
  signatureScheme: 'standard-webhooks' | 'hmac-sha256-hex';
  headers: Record<string, string>;
  summaries: boolean;
  rateLimitPerSecond: number | null;
  maxInFlight: number;
  circuit: { state: 'closed' | 'open' | 'half-open'; openedAt: string | null; nextProbeAt: string | null };
  createdAt: string;
  updatedAt: string;
}
