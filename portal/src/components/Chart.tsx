import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartTheme {
  text: string;
  grid: string;
  ok: string;
  bad: string;
  p50: string;
  p95: string;
}

function readTheme(): ChartTheme {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string) => style.getPropertyValue(name).trim();
  return { text: v('--text-muted'), grid: v('--border'), ok: v('--chart-ok'), bad: v('--chart-bad'), p50: v('--chart-p50'), p95: v('--chart-p95') };
}

/** Canvas colours come from the CSS variables, so the chart is redrawn when the colour scheme flips. */
function useTheme(): ChartTheme {
  const [theme, setTheme] = useState(readTheme);
  useEffect(() => {
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    const update = () => setTheme(readTheme());
    query.addEventListener('change', update);
    return () => query.removeEventListener('change', update);
  }, []);
  return theme;
}

interface Props {
  testId: string;
  caption: string;
  /** Buckets with something to draw; 0 shows `emptyText` instead of an empty grid. */
  points: number;
  emptyText: string;
  data: uPlot.AlignedData;
  options: (theme: ChartTheme) => Omit<uPlot.Options, 'width' | 'height'>;
  /** The same numbers as a table, for screen readers and anyone who wants the figures. */
  table: ComponentChildren;
}

const HEIGHT = 220;

export function Chart({ testId, caption, points, emptyText, data, options, table }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const theme = useTheme();

  useEffect(() => {
    const element = host.current;
    if (!element || points === 0) return;
    // A picture, not a control: no cursor, no drag-to-zoom, no legend toggles, none of which a
    // keyboard could reach (the canvas is aria-hidden). The figures table under it has every value.
    const chart = new uPlot(
      { ...options(theme), cursor: { show: false, drag: { x: false, y: false } }, legend: { live: false }, width: Math.max(200, element.clientWidth), height: HEIGHT },
      data,
      element,
    );
    const observer = new ResizeObserver(() => chart.setSize({ width: Math.max(200, element.clientWidth), height: HEIGHT }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
    };
    // `options` is rebuilt on every render; the data and the theme are what change the drawing.
  }, [data, theme, points]);

  return (
    <figure class="chart" data-testid={testId} data-points={points}>
      <figcaption>{caption}</figcaption>
      {points === 0 ? <p class="chart-empty">{emptyText}</p> : <div ref={host} class="chart-canvas" aria-hidden="true" />}
      {points > 0 && (
        <details class="chart-table">
          <summary>Show the figures</summary>
          <div class="table-scroll" tabIndex={0} role="region" aria-label={`${caption}: figures`}>
            {table}
          </div>
        </details>
      )}
    </figure>
  );
}
