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
}

export interface DeliveryDetailResponse extends DeliveryResponse {
  attempts: AttemptResponse[];
}
