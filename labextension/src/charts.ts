/**
 * The run detail panel's line charts, drawn with the axes every jupyter_track chart shares
 * (jupyter_track/widgets/static/chart_core.js: round ticks, gridlines, the theme's ink, crosshair tooltip), and the
 * pure math behind them (extents, gaps, smoothing, merging live increments), unit-tested in node
 * (test/charts.test.ts). Every text (metric keys, values) goes into the DOM with textContent.
 */
import {
  Frame,
  crosshair,
  drawAxes,
  ink,
  onThemeChange
} from '../../jupyter_track/widgets/static/chart_core.js';

/** One series: steps and values (null, NaN and ±inf are gaps). */
export interface Series {
  steps: number[];
  values: (number | null)[];
}

/** A series drawn on a chart. */
export interface Line extends Series {
  name: string;
  color: string;
}

/** A value that can be drawn: finite, and positive on a log scale. */
export function drawable(v: number | null | undefined, log = false): v is number {
  return typeof v === 'number' && Number.isFinite(v) && (!log || v > 0);
}

/** [min, max] of the drawable values of `lines` (steps and values), or null when nothing can be drawn. */
export function extent(
  lines: Series[],
  log = false
): { x0: number; x1: number; y0: number; y1: number } | null {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const l of lines) {
    for (let i = 0; i < l.steps.length; i++) {
      const v = l.values[i];
      if (!drawable(v, log)) {
        continue;
      }
      const s = l.steps[i];
      x0 = Math.min(x0, s);
      x1 = Math.max(x1, s);
      y0 = Math.min(y0, v);
      y1 = Math.max(y1, v);
    }
  }
  if (!(x1 >= x0)) {
    return null;
  }
  if (x1 === x0) {
    x0 -= 0.5;
    x1 += 0.5;
  }
  if (y1 === y0) {
    const pad = log ? y0 * 0.1 : Math.abs(y0) * 0.05 || 0.5;
    y0 -= pad;
    y1 += pad;
  }
  return { x0, x1, y0, y1 };
}

/** The runs of consecutive drawable points (index lists): a null, NaN or ±inf value (or ≤0 on log) ends one. */
export function segments(series: Series, log = false): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  for (let i = 0; i < series.steps.length; i++) {
    if (drawable(series.values[i], log) && Number.isFinite(series.steps[i])) {
      current.push(i);
    } else if (current.length) {
      out.push(current);
      current = [];
    }
  }
  if (current.length) {
    out.push(current);
  }
  return out;
}

/**
 * The exponential moving average of `values` with weight `alpha` on the past (0: the values as they are), as
 * TensorBoard's smoothing: a gap (null, NaN, ±inf) stays a gap and does not reset the average.
 */
export function ema(values: (number | null)[], alpha: number): (number | null)[] {
  if (!alpha) {
    return values;
  }
  let acc: number | null = null;
  return values.map(v => {
    if (!drawable(v)) {
      return v;
    }
    acc = acc === null ? v : alpha * acc + (1 - alpha) * v;
    return acc;
  });
}

/**
 * At most about `max` points of `series`: per bucket of consecutive points its min and max (in order), so
 * spikes survive; the last point is always kept. A series already short enough comes back as is.
 */
export function thin(series: Series, max: number): Series {
  const n = series.steps.length;
  if (n <= max || max < 4) {
    return series;
  }
  const buckets = Math.floor((max - 1) / 2);
  const width = Math.ceil(n / buckets);
  const steps: number[] = [];
  const values: (number | null)[] = [];
  for (let start = 0; start < n - 1; start += width) {
    const end = Math.min(start + width, n - 1); // the last point is added after the loop
    let lo = -1;
    let hi = -1;
    let gap = -1;
    for (let i = start; i < end; i++) {
      const v = series.values[i];
      if (!drawable(v)) {
        gap = gap < 0 ? i : gap;
        continue;
      }
      if (lo < 0 || v < (series.values[lo] as number)) {
        lo = i;
      }
      if (hi < 0 || v > (series.values[hi] as number)) {
        hi = i;
      }
    }
    const keep = [lo, hi, gap].filter(i => i >= 0).sort((a, b) => a - b);
    for (const i of new Set(keep)) {
      steps.push(series.steps[i]);
      values.push(drawable(series.values[i]) ? series.values[i] : null);
    }
  }
  steps.push(series.steps[n - 1]);
  values.push(series.values[n - 1]);
  return { steps, values };
}

/**
 * `series` with the points of a live increment `more` appended: only the points after its last step (a
 * repeated or overlapping answer adds nothing twice); thinned to about `max` points when it grows past 2×max.
 */
export function mergeIncrement(series: Series, more: Series, max = 2000): Series {
  const last = series.steps.length ? series.steps[series.steps.length - 1] : -Infinity;
  let first = 0;
  while (first < more.steps.length && more.steps[first] <= last) {
    first++;
  }
  if (first >= more.steps.length) {
    return series;
  }
  const merged = {
    steps: series.steps.concat(more.steps.slice(first)),
    values: series.values.concat(more.values.slice(first).map(v => (v === undefined ? null : v)))
  };
  return merged.steps.length > 2 * max ? thin(merged, max) : merged;
}

/** Keys grouped by their prefix before the first "/" ("" for keys without one), groups and keys in order. */
export function groupByPrefix(keys: string[]): [string, string[]][] {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const cut = key.indexOf('/');
    const prefix = cut > 0 ? key.slice(0, cut) : '';
    if (!groups.has(prefix)) {
      groups.set(prefix, []);
    }
    groups.get(prefix)!.push(key);
  }
  return [...groups.entries()].sort((a, b) => (a[0] === '' ? -1 : b[0] === '' ? 1 : a[0].localeCompare(b[0])));
}

/** A short human form of a number: up to 5 significant digits, exponent form when tiny or huge. */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined) {
    return '—';
  }
  if (!Number.isFinite(x)) {
    return String(x);
  }
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) {
    return x.toExponential(2);
  }
  return String(Number(x.toPrecision(5)));
}

// -- drawing ------------------------------------------------------------------------------------------------
const HEIGHT = 200; // canvas px; the width follows the chart's box
const MARGIN = { left: 48, right: 10, top: 8, bottom: 18 };

/** What a painted chart gives the crosshair to read (null: no crosshair). */
export type Painted = Omit<Frame, 'redraw'> | null;

/** What `canvasChart` paints with: the cleared canvas, the plot area in it, the theme's ink and brand colour. */
export interface Paint {
  canvas: HTMLCanvasElement;
  ctx: CanvasRenderingContext2D;
  area: { left: number; top: number; right: number; bottom: number };
  color: string;
  fill: string;
}

/**
 * A canvas chart `height` px high and as wide as its box (`node`, of class `className`, positioned: the crosshair's
 * tooltip sits in it), painted by `paint` now, on `draw()`, when the box is resized (a tab shown gives the canvas its
 * width) and when JupyterLab switches theme (canvas ink is not CSS). Test hook: `data-ink` on the canvas.
 */
export function canvasChart(
  className: string,
  height: number,
  paint: (p: Paint) => Painted
): { node: HTMLDivElement; draw: () => void } {
  const box = document.createElement('div');
  box.className = `jt-chart-box ${className}`;
  const canvas = document.createElement('canvas');
  canvas.className = 'jt-chart-canvas';
  canvas.height = height;
  canvas.setAttribute('role', 'img');
  box.append(canvas);
  let frame: Frame | null = null;
  const draw = () => {
    const width = Math.round(box.clientWidth);
    if (width > 0 && width !== canvas.width) {
      canvas.width = width; // hidden (0 wide): keep the last width until shown
    }
    const ctx = canvas.getContext('2d')!;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const color = ink(canvas);
    canvas.dataset.ink = color;
    const area = { ...MARGIN, right: canvas.width - MARGIN.right, bottom: canvas.height - MARGIN.bottom };
    const fill = getComputedStyle(canvas).getPropertyValue('--jp-brand-color1').trim() || '#1f77b4';
    const painted = paint({ canvas, ctx, area, color, fill });
    frame = painted && { ...painted, redraw: draw };
  };
  crosshair(canvas, box, () => frame);
  new ResizeObserver(draw).observe(box);
  const unwatch = onThemeChange(() => (box.isConnected ? draw() : unwatch()));
  draw();
  return { node: box, draw };
}

/**
 * One chart: a title, a log-scale toggle and a canvas with the shared axes, one line per `Line` (a gap breaks it;
 * with smoothing, the raw line faint under the smoothed one) and a crosshair tooltip of every line's nearest point.
 * It redraws when its box is resized and when JupyterLab switches theme.
 *
 * Test hooks: `data-metric` on the node (and `data-x`, the x-axis key, when it is not the step); on the canvas
 * `data-points` (points drawn), `data-lines` (JSON: [name, points drawn] per line), `data-colors` (the lines'
 * colours), `data-ink` and an `aria-label` naming the tick labels.
 */
export class LineChart {
  readonly node: HTMLDivElement;
  private readonly title: string;
  private readonly xLabel: string;
  private readonly draw: () => void;
  private lines: Line[] = [];
  private log = false;
  private smoothing = 0;

  /**
   * @param options.x the key the x-axis shows (default: the step).
   * @param options.xLabel names the x axis in the tooltip (default: `x`, else `step`).
   */
  constructor(options: { title: string; x?: string | null; xLabel?: string }) {
    this.node = document.createElement('div');
    this.node.className = 'jt-lc';
    this.node.dataset.metric = options.title;
    this.xLabel = options.xLabel ?? options.x ?? 'step';
    if (options.x) {
      this.node.dataset.x = options.x;
    }
    const head = document.createElement('div');
    head.className = 'jt-lc-head';
    const title = document.createElement('span');
    title.className = 'jt-lc-title';
    title.textContent = this.title = options.x ? `${options.title} vs ${options.x}` : options.title;
    title.title = this.title;
    const toggle = document.createElement('label');
    toggle.className = 'jt-lc-log';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.addEventListener('change', () => {
      this.log = box.checked;
      this.draw();
    });
    toggle.append(box, document.createTextNode('log'));
    head.append(title, toggle);
    const plot = canvasChart('jt-lc-plot', HEIGHT, p => this.paint(p));
    this.draw = plot.draw;
    this.node.append(head, plot.node);
  }

  /** Replace the lines and redraw. */
  setLines(lines: Line[]): void {
    this.lines = lines;
    this.draw();
  }

  /** Smooth the lines with an exponential moving average of weight `alpha` (0: none) and redraw. */
  setSmoothing(alpha: number): void {
    this.smoothing = alpha;
    this.draw();
  }

  private paint({ canvas, ctx, area: box, color }: Paint): Painted {
    if (!this.lines.length) {
      return null; // its points are still on their way
    }
    const log = this.log;
    const range = extent(this.lines, log);
    this.node.dataset.empty = String(!range);
    if (!range) {
      const message = log ? 'no positive values for a log scale' : 'no finite values';
      ctx.fillStyle = color;
      ctx.font = '11px sans-serif';
      ctx.textAlign = 'center';
      ctx.fillText(message, canvas.width / 2, canvas.height / 2);
      canvas.setAttribute('aria-label', `${this.title}: ${message}`);
      canvas.dataset.points = '0';
      return null;
    }
    const f = log ? Math.log10 : (v: number) => v;
    let [y0, y1] = [f(range.y0), f(range.y1)];
    const pad = (y1 - y0) * 0.04; // curves clear of the frame
    y0 -= pad;
    y1 += pad;
    const X = (x: number) => box.left + ((x - range.x0) / (range.x1 - range.x0)) * (box.right - box.left);
    const Y = (y: number) => box.bottom - ((y - y0) / (y1 - y0)) * (box.bottom - box.top);
    const labels = drawAxes(ctx, box, [range.x0, range.x1], [y0, y1], X, Y, color, { yLog: log });
    const named = `${this.xLabel} ${labels.x.join(', ')}; value ${labels.y.join(', ')}`;
    canvas.setAttribute('aria-label', `${this.title}: ${named}`);
    const stroke = (line: Series, lineColor: string, alpha: number) => {
      ctx.save();
      ctx.strokeStyle = ctx.fillStyle = lineColor;
      ctx.globalAlpha = alpha;
      ctx.lineWidth = 1.5;
      ctx.lineJoin = ctx.lineCap = 'round';
      ctx.beginPath();
      for (const seg of segments(line, log)) {
        seg.forEach((i, n) => {
          const [px, py] = [X(line.steps[i]), Y(f(line.values[i] as number))];
          if (n) {
            ctx.lineTo(px, py);
          } else {
            ctx.moveTo(px, py);
          }
        });
        if (seg.length === 1) {
          ctx.fillRect(X(line.steps[seg[0]]) - 1.5, Y(f(line.values[seg[0]] as number)) - 1.5, 3, 3); // a lone point
        }
      }
      ctx.stroke();
      ctx.restore();
    };
    const drawn: [string, number][] = [];
    for (const line of this.lines) {
      drawn.push([line.name, segments(line, log).reduce((n, seg) => n + seg.length, 0)]);
      if (this.smoothing) {
        stroke(line, line.color, 0.25);
        stroke({ steps: line.steps, values: ema(line.values, this.smoothing) }, line.color, 1);
      } else {
        stroke(line, line.color, 1);
      }
    }
    canvas.dataset.points = String(drawn.reduce((n, [, count]) => n + count, 0));
    canvas.dataset.lines = JSON.stringify(drawn); // [name, points drawn] per line
    canvas.dataset.colors = this.lines.map(l => l.color).join(' ');
    return {
      box,
      invX: px => range.x0 + ((px - box.left) / (box.right - box.left)) * (range.x1 - range.x0),
      lines: this.lines.map(l => ({ name: l.name, color: l.color, s: l.steps, v: l.values })),
      head: row => `${this.xLabel} ${formatNumber(row.x)}`
    };
  }
}
