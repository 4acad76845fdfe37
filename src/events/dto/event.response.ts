import { DeliveryResponse } from '../../deliveries/dto/delivery.response';

export interface SummaryResponse {
  text: string;
  source: 'llm' | 'offline';
  model: string | null;
}

export interface PublishedEventResponse {
  id: string;
  type: string;
  createdAt: string;
  deliveries: number;
}

export interface EventResponse {
  id: string;
  type: string;
  /** null once the payload has expired (RETENTION_DAYS). */
  data: Record<string, unknown> | null;
  /** null until the first delivery computed it. */
  summary: SummaryResponse | null;
  createdAt: string;
  expired: boolean;
}

export interface EventDetailResponse extends EventResponse {
  deliveries: DeliveryResponse[];
}
