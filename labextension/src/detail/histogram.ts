/**
 * A logged histogram (`jt.Histogram`, `jt.watch`) as a small bar chart: the bars' geometry (pure, unit-tested)
 * and the SVG drawn from it in the Media tab.
 */
import { formatNumber } from '../charts';

/** A logged histogram's data: `bins` holds the edges (one more than `values`, the counts). */
export interface HistogramData {
  bins: number[];
  values: number[];
}

/** One bar of the chart, in px of a `width` × `height` box (y grows downwards, as in SVG). */
export interface HistogramBar {
  x: number;
  y: number;
  width: number;
  height: number;
  from: number; // the bin's edges and count, for the tooltip
  to: number;
  count: number;
}

/** Whether `data` is a histogram's logged data (edges one more than counts, all numbers). */
export function isHistogram(data: unknown): data is HistogramData {
  const d = data as HistogramData | null;
  return (
    !!d &&
    Array.isArray(d.bins) &&
    Array.isArray(d.values) &&
    d.values.length > 0 &&
    d.bins.length === d.values.length + 1 &&
    d.bins.every(b => typeof b === 'number') &&
    d.values.every(v => typeof v === 'number')
  );
}

/**
 * The bars of `data` in a `width` × `height` box: x follows the bin edges (unequal bins keep their widths), the
 * tallest bar fills the height, an empty bin has no height.
 */
export function histogramBars(data: HistogramData, width: number, height: number): HistogramBar[] {
  const lo = data.bins[0];
  const span = data.bins[data.bins.length - 1] - lo;
  const top = Math.max(0, ...data.values);
  const n = data.values.length;
  return data.values.map((count, i) => {
    const from = data.bins[i];
    const to = data.bins[i + 1];
    // a zero span (every value equal): the bars share the width evenly
    const x = span > 0 ? ((from - lo) / span) * width : (i / n) * width;
    const w = span > 0 ? ((to - from) / span) * width : width / n;
    const h = top > 0 ? (Math.max(0, count) / top) * height : 0;
    return { x, y: height - h, width: w, height: h, from, to, count };
  });
}

const SVG = 'http://www.w3.org/2000/svg';

/** The histogram as an SVG bar chart with its range and largest count as labels. */
export function drawHistogram(data: HistogramData, width = 320, height = 120): SVGSVGElement {
  const pad = { left: 4, right: 4, top: 14, bottom: 16 };
  const inner = { w: width - pad.left - pad.right, h: height - pad.top - pad.bottom };
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'jt-histogram');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  for (const bar of histogramBars(data, inner.w, inner.h)) {
    const rect = document.createElementNS(SVG, 'rect');
    rect.setAttribute('class', 'jt-histogram-bar');
    rect.setAttribute('x', String(pad.left + bar.x));
    rect.setAttribute('y', String(pad.top + bar.y));
    rect.setAttribute('width', String(Math.max(0.5, bar.width - 0.5)));
    rect.setAttribute('height', String(bar.height));
    const tip = document.createElementNS(SVG, 'title');
    tip.textContent = `[${formatNumber(bar.from)}, ${formatNumber(bar.to)}): ${bar.count}`;
    rect.append(tip);
    svg.append(rect);
  }
  const label = (text: string, x: number, y: number, anchor: string) => {
    const t = document.createElementNS(SVG, 'text');
    t.setAttribute('class', 'jt-histogram-label');
    t.setAttribute('x', String(x));
    t.setAttribute('y', String(y));
    t.setAttribute('text-anchor', anchor);
    t.textContent = text;
    svg.append(t);
  };
  label(formatNumber(data.bins[0]), pad.left, height - 3, 'start');
  label(formatNumber(data.bins[data.bins.length - 1]), width - pad.right, height - 3, 'end');
  label(`max ${formatNumber(Math.max(...data.values))}`, pad.left, 10, 'start');
  return svg;
}
