import type { RawJson } from '../../common/raw-json';
import { DeliveryResponse } from '../../deliveries/dto/delivery.response';
import type { Summary } from '../../summaries/summary.engine';


export interface PublishedEventResponse {
  id: string;
  type: string;
  createdAt: string;
  deliveries: number;
}

export interface EventResponse {
  id: string;
  type: string;
  /** The published text of data, spliced into the response as is; null once the payload has expired (RETENTION_DAYS). */
  data: RawJson | null;
  /** null until the first delivery computed it. */
  summary: Summary | null;
  createdAt: string;
  expired: boolean;
}

export interface EventDetailResponse extends EventResponse {
  /** Every delivery of the event; `deliveries` holds at most the first 100. */
  deliveryCount: number;
  deliveries: DeliveryResponse[];
}
