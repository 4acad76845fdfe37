import { useMemo, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { getEndpointStats, type StatsBucket, type StatsBucketSize } from '../api';
import { duration } from '../format';
import { useResource } from '../hooks';
import { Chart, type ChartTheme } from './Chart';
import { ErrorNotice, Loading } from './Notice';

type RangeName = 'hour' | 'day' | 'week';

const RANGES: Record<RangeName, { label: string; spanMs: number; bucket: StatsBucketSize; bucketMs: number }> = {
  hour: { label: 'Last hour', spanMs: 3600e3, bucket: '1m', bucketMs: 60e3 },
  day: { label: 'Last day', spanMs: 24 * 3600e3, bucket: '1h', bucketMs: 3600e3 },
  week: { label: 'Last week', spanMs: 7 * 24 * 3600e3, bucket: '1d', bucketMs: 24 * 3600e3 },
};

interface Series {
  /** Bucket starts, unix seconds (uPlot's time unit). */
  x: number[];
  succeeded: number[];
  failed: number[];
  p50: (number | null)[];
  p95: (number | null)[];
  rows: StatsBucket[];
}

/**
 * The server may leave out empty buckets; the chart needs every bucket of the range so bars keep
 * their width and gaps show as gaps. Buckets are aligned on the UTC epoch, like date_trunc.
 */
function fillBuckets(buckets: StatsBucket[], sinceMs: number, untilMs: number, bucketMs: number): Series {
  const byStart = new Map<number, StatsBucket>();
  for (const bucket of buckets) byStart.set(Date.parse(bucket.start), bucket);
  const starts = new Set<number>(byStart.keys());
  for (let t = Math.floor(sinceMs / bucketMs) * bucketMs; t < untilMs; t += bucketMs) starts.add(t);
  const series: Series = { x: [], succeeded: [], failed: [], p50: [], p95: [], rows: [] };
  for (const start of [...starts].sort((a, b) => a - b)) {
    const bucket = byStart.get(start) ?? { start: new Date(start).toISOString(), succeeded: 0, failed: 0, p50Ms: null, p95Ms: null };
    series.x.push(start / 1000);
    series.succeeded.push(bucket.succeeded);
    series.failed.push(bucket.failed);
    series.p50.push(bucket.p50Ms);
    series.p95.push(bucket.p95Ms);
    series.rows.push(bucket);
  }
  return series;
}

function axes(theme: ChartTheme, yLabel: string, ySize: number, yValues?: uPlot.Axis['values']): uPlot.Axis[] {
  const common = { stroke: theme.text, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid, width: 1 } };
  return [common, { ...common, label: yLabel, values: yValues, size: ySize }];
}

export function StatsCharts({ endpointId }: { endpointId: string }) {
  const [range, setRange] = useState<RangeName>('day');
  const stats = useResource(
    async (signal) => {
      const { spanMs, bucket, bucketMs } = RANGES[range];
      const untilMs = Date.now();
      const sinceMs = untilMs - spanMs;
      const result = await getEndpointStats(endpointId, { since: new Date(sinceMs).toISOString(), until: new Date(untilMs).toISOString(), bucket }, signal);
      return { series: fillBuckets(result.data, sinceMs, untilMs, bucketMs), bucketMs };
    },
    [endpointId, range],
  );

  const series = stats.data?.series;
  const bucketS = (stats.data?.bucketMs ?? 60e3) / 1000;
  const outcomeData = useMemo<uPlot.AlignedData>(() => (series ? [series.x, series.succeeded, series.failed] : [[]]), [series]);
  const latencyData = useMemo<uPlot.AlignedData>(() => (series ? [series.x, series.p50, series.p95] : [[]]), [series]);
  const outcomePoints = series ? series.x.filter((_, i) => series.succeeded[i] + series.failed[i] > 0).length : 0;
  const latencyPoints = series ? series.x.filter((_, i) => series.p50[i] !== null || series.p95[i] !== null).length : 0;
  const xRange = (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => [min - bucketS / 2, max + bucketS / 2];
  const when = (iso: string) => new Date(iso).toLocaleString(undefined, range === 'week' ? { dateStyle: 'medium' } : { dateStyle: 'short', timeStyle: 'short' });

  return (
    <section class="section" aria-labelledby="stats-title">
      <div class="section-head">
        <h2 id="stats-title">Traffic</h2>
        <div class="segmented" role="group" aria-label="Time range">
          {(Object.keys(RANGES) as RangeName[]).map((name) => (
            <button key={name} type="button" aria-pressed={range === name} onClick={() => setRange(name)}>
              {RANGES[name].label}
            </button>
          ))}
        </div>
      </div>
      {stats.loading && <Loading label="Loading charts…" />}
      <ErrorNotice error={stats.error} onRetry={stats.reload} />
      {series && (
        <div class="charts" aria-busy={stats.loading}>
          <Chart
            testId="chart-outcomes"
            caption={`Attempts per ${RANGES[range].bucket === '1m' ? 'minute' : RANGES[range].bucket === '1h' ? 'hour' : 'day'}: succeeded and failed`}
            points={outcomePoints}
            emptyText="No attempts in this period."
            data={outcomeData}
            options={(theme) => ({
              scales: { x: { time: true, range: xRange }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
              axes: axes(theme, 'attempts', 60),
              series: [
                {},
                { label: 'Succeeded', stroke: theme.ok, fill: theme.ok, width: 0, paths: uPlot.paths.bars?.({ size: [0.42, 24], align: -1 }), points: { show: false } },
                { label: 'Failed', stroke: theme.bad, fill: theme.bad, width: 0, paths: uPlot.paths.bars?.({ size: [0.42, 24], align: 1 }), points: { show: false } },
              ],
            })}
            table={
              <table class="table table-compact">
                <thead>
                  <tr>
                    <th scope="col">Bucket start</th>
                    <th scope="col">Succeeded</th>
                    <th scope="col">Failed</th>
                  </tr>
                </thead>
                <tbody>
                  {series.rows
                    .filter((row) => row.succeeded + row.failed > 0)
                    .map((row) => (
                      <tr key={row.start}>
                        <td>{when(row.start)}</td>
                        <td>{row.succeeded}</td>
                        <td>{row.failed}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            }
          />
          <Chart
            testId="chart-latency"
            caption="Response time of attempts: median (p50) and 95th percentile (p95)"
            points={latencyPoints}
            emptyText="No attempts, so no response times, in this period."
            data={latencyData}
            options={(theme) => ({
              scales: { x: { time: true, range: xRange }, y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] } },
              axes: axes(theme, 'response time', 80, (_u, ticks) => ticks.map((t) => duration(t))),
              series: [
                {},
                { label: 'p50', stroke: theme.p50, width: 2, points: { show: true, size: 5, fill: theme.p50 }, value: (_u, v) => duration(v) },
                { label: 'p95', stroke: theme.p95, width: 2, dash: [6, 4], points: { show: true, size: 5, fill: theme.p95 }, value: (_u, v) => duration(v) },
              ],
            })}
            table={
              <table class="table table-compact">
                <thead>
                  <tr>
                    <th scope="col">Bucket start</th>
                    <th scope="col">p50</th>
                    <th scope="col">p95</th>
                  </tr>
                </thead>
                <tbody>
                  {series.rows
                    .filter((row) => row.p50Ms !== null || row.p95Ms !== null)
                    .map((row) => (
                      <tr key={row.start}>
                        <td>{when(row.start)}</td>
                        <td>{duration(row.p50Ms)}</td>
                        <td>{duration(row.p95Ms)}</td>
                      </tr>
                    ))}
                </tbody>
              </table>
            }
          />
        </div>
      )}
    </section>
  );
}
