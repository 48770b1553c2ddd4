/**
 * Logged histograms (`jt.Histogram`, `jt.watch`) in the Media tab, drawn on the axes every jupyter_track chart
 * shares (static/chart_core.js): one step as a bar chart, or every step as a ridge plot (TensorBoard's offset
 * mode: each step's histogram on its own baseline, older ones behind). The geometry is pure and unit-tested.
 */
import { drawAxes } from '../../../jupyter_track/widgets/static/chart_core.js';
import { canvasChart, formatNumber } from '../charts';

/** A logged histogram's data: `bins` holds the edges (one more than `values`, the counts). */
export interface HistogramData {
  bins: number[];
  values: number[];
}

/** One bar of the chart, in px of a `width` × `height` box (y grows downwards, as on a canvas). */
export interface HistogramBar {
  x: number;
  y: number;
  width: number;
  height: number;
  from: number; // the bin's edges and count, for the tooltip
  to: number;
  count: number;
}

/** One step's ridge: its outline through the bins' midpoints as (value, height 0…1) points, ends on the baseline. */
export interface Ridge {
  step: number;
  points: [number, number][];
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

/** The most ridges a ridge plot stacks (more would blur into each other). */
export const MAX_RIDGES = 40;

/**
 * The ridges of at most `max` of `items` (spread evenly over them, the first and the newest always): each step's
 * density (count per unit of value, so steps binned differently compare), scaled by the largest of them all.
 */
export function ridges(items: { step: number; data: HistogramData }[], max = MAX_RIDGES): Ridge[] {
  const [n, k] = [items.length, Math.min(items.length, max)];
  const spread = Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1 || 1)));
  const picked = [...new Set(spread)].map(i => items[i]);
  const densities = picked.map(({ data }) =>
    data.values.map((count, i) => {
      const width = data.bins[i + 1] - data.bins[i];
      return width > 0 ? Math.max(0, count) / width : Math.max(0, count);
    })
  );
  const top = Math.max(0, ...densities.flat());
  return picked.map(({ step, data }, r) => {
    const points: [number, number][] = [[data.bins[0], 0]];
    densities[r].forEach((d, i) => points.push([(data.bins[i] + data.bins[i + 1]) / 2, top > 0 ? d / top : 0]));
    points.push([data.bins[data.bins.length - 1], 0]);
    return { step, points };
  });
}

const HEIGHT = 160;
const RIDGE_HEIGHT = 300;

/**
 * A histogram as a bar chart (value ticks under it, count ticks beside it, a tooltip per bin); `step` names the
 * step it was logged at.
 */
export function drawHistogram(data: HistogramData, step?: number): HTMLElement {
  const chart = canvasChart('jt-histogram-box jt-histogram-bars', HEIGHT, paint => {
    const { canvas, ctx, color, area, fill } = paint;
    const lo = data.bins[0];
    const hi = data.bins[data.bins.length - 1] > lo ? data.bins[data.bins.length - 1] : lo + 1;
    const top = Math.max(1, ...data.values);
    const [w, h] = [area.right - area.left, area.bottom - area.top];
    const X = (v: number) => area.left + ((v - lo) / (hi - lo)) * w;
    const Y = (c: number) => area.bottom - (c / top) * h;
    const labels = drawAxes(ctx, area, [lo, hi], [0, top], X, Y, color, { yWhole: true });
    ctx.save();
    ctx.fillStyle = fill;
    ctx.globalAlpha = 0.85;
    const bars = histogramBars(data, w, (Math.max(0, ...data.values) / top) * h);
    for (const bar of bars) {
      ctx.fillRect(area.left + bar.x, area.bottom - bar.height, Math.max(0.5, bar.width - 0.5), bar.height);
    }
    ctx.restore();
    canvas.dataset.bars = String(bars.length);
    canvas.dataset.heights = bars.map(b => b.height.toFixed(1)).join(' ');
    const named = `value ${labels.x.join(', ')}; count ${labels.y.join(', ')}`;
    canvas.setAttribute('aria-label', step === undefined ? named : `step ${step}: ${named}`);
    const mids = bars.map(b => (b.from + b.to) / 2);
    return {
      box: area,
      invX: px => lo + ((px - area.left) / w) * (hi - lo),
      lines: [{ name: 'count', color: fill, s: mids, v: data.values }],
      head: row => {
        const bar = bars[mids.indexOf(row.x)];
        return `[${formatNumber(bar.from)}, ${formatNumber(bar.to)})`;
      }
    };
  });
  return chart.node;
}

/** The histograms of successive steps as ridges (offset mode): the step axis downwards, the newest in front. */
export function drawRidges(items: { step: number; data: HistogramData }[]): HTMLElement {
  const shown = ridges(items);
  const chart = canvasChart('jt-histogram-box jt-histogram-ridges', RIDGE_HEIGHT, paint => {
    const { canvas, ctx, color, area, fill } = paint;
    const all = shown.flatMap(r => r.points.map(p => p[0]));
    const lo = Math.min(...all);
    const hi = Math.max(...all) > lo ? Math.max(...all) : lo + 1;
    const s0 = shown[0].step;
    const s1 = shown[shown.length - 1].step > s0 ? shown[shown.length - 1].step : s0 + 1;
    const peak = Math.min(70, (area.bottom - area.top) * 0.35); // a ridge's full height
    const X = (v: number) => area.left + ((v - lo) / (hi - lo)) * (area.right - area.left);
    const Y = (s: number) => area.top + peak + ((s - s0) / (s1 - s0)) * (area.bottom - area.top - peak);
    const labels = drawAxes(ctx, area, [lo, hi], [s0, s1], X, Y, color, { yWhole: true });
    const background = getComputedStyle(canvas).backgroundColor;
    for (const ridge of shown) {
      ctx.beginPath();
      const base = Y(ridge.step);
      ridge.points.forEach(([v, r], i) => (i ? ctx.lineTo(X(v), base - r * peak) : ctx.moveTo(X(v), base)));
      ctx.closePath();
      ctx.fillStyle = background; // an opaque ridge hides the older ones behind it
      ctx.globalAlpha = 1;
      ctx.fill();
      ctx.fillStyle = ctx.strokeStyle = fill;
      ctx.globalAlpha = 0.3;
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    canvas.dataset.ridges = String(shown.length);
    canvas.dataset.steps = shown.map(r => r.step).join(' ');
    canvas.setAttribute('aria-label', `value ${labels.x.join(', ')}; step ${labels.y.join(', ')}`);
    return null; // no crosshair: the ridges' heights are relative
  });
  return chart.node;
}
