import { Injectable } from '@nestjs/common';
import { offlineSummary } from './offline-summariser';

export interface EventForSummary {
  tenantId: string;
  eventId: string;
  type: string;
  data: Record<string, unknown>;
}

export interface Summary {
  text: string;
  source: 'llm' | 'offline';
  model: string | null;
}

/** The one seam the delivery path calls; it never throws and never waits past the deadline. */
@Injectable()
export class SummaryService {
  async forEvent(event: EventForSummary): Promise<Summary> {
    return { text: offlineSummary(event.type, event.data), source: 'offline', model: null };
  }
}
