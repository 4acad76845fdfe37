import { DeliveryStatus } from './list-deliveries.dto';

export interface DeliveryResponse {
  id: string;
  eventId: string;
  endpointId: string;
  eventType: string;
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  createdAt: string;
}

export interface AttemptResponse {
  id: string;
  number: number;
  trigger: 'scheduled' | 'manual';
  startedAt: string;
  durationMs: number;
  requestUrl: string;
  responseStatus: number | null;
  responseBody: string | null;
  responseBodyEncoding: 'utf8' | 'base64' | null;
  responseBodyTruncated: boolean;
  error: string | null;
  expired: boolean;
  /** The request as sent, signature included (see deliveries/request-as-sent.ts for what is rebuilt). */
  requestHeaders: Record<string, string> | null;
  requestBody: string | null;
  /** true: the rebuilt body matches the recorded signature, byte for byte what was sent. */
  requestVerified: boolean;
}

export interface DeliveryDetailResponse extends DeliveryResponse {
  attempts: AttemptResponse[];
}
