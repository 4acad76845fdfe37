import type { Summary } from '../summaries/summary.engine';

/**
 * The body a receiver gets. `dataJson` is the stored JSON text of `data`, spliced in as is,
 * so every delivery and retry of one event carries byte-identical data without a re-parse.
 */
export function buildPayload(event: { id: string; type: string; createdAt: Date; dataJson: string }, summary: Summary | null): string {
  const head = `{"id":${JSON.stringify(event.id)},"type":${JSON.stringify(event.type)},"timestamp":${JSON.stringify(event.createdAt.toISOString())},"data":${event.dataJson}`;
  if (!summary) return `${head}}`;
  return `${head},"summary":${JSON.stringify({ text: summary.text, source: summary.source, model: summary.model })}}`;
}
