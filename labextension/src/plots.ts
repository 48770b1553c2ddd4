/**
 * Charts logged with `jt.plot` (W&B's `wandb.plot.*`), drawn from their table in the run detail panel's Media
 * tab: lines (line, line_series, pr_curve, roc_curve) by charts.ts's LineChart, scatter and histogram on the same
 * canvas axes (static/chart_core.js: round ticks, gridlines, the theme's ink); bars and the confusion matrix, whose
 * axes are classes, as small SVGs. The pure parts (lines by stroke, bins, the matrix) are unit-tested in node
 * (test/plots.test.ts). Every text goes into the DOM with textContent.
 */
import { drawAxes } from '../../jupyter_track/widgets/static/chart_core.js';
import { Line, LineChart, canvasChart, formatNumber } from './charts';
import { drawHistogram as histogramChart } from './detail/histogram';
import { ChartData, TableBlob } from './tokens';

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const LINE_KINDS = ['line', 'line_series', 'pr_curve', 'roc_curve'];
const MAX_LINES = 10;
const MAX_POINTS = 2000; // scatter
const MAX_BARS = 50;
const MAX_CLASSES = 40;
const BINS = 20;
const W = 380;
const H = 200;
const PAD = { left: 48, right: 10, top: 8, bottom: 22 };

/** The values of the column playing `role` (x, y, stroke, label, value, actual, predicted, count). */
export function column(chart: ChartData, table: TableBlob, role: string): unknown[] {
  const name = chart.fields[role];
  const i = name === null || name === undefined ? -1 : table.columns.indexOf(name);
  return i < 0 ? [] : table.rows.map(r => r[i]);
}

/** A finite number, or null (text, null, NaN). */
export function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** One line per stroke value (in first-seen order), its points sorted by x; a text x becomes the row number. */
export function linesOf(chart: ChartData, table: TableBlob): Line[] {
  const rawX = column(chart, table, 'x');
  const ys = column(chart, table, 'y');
  const byRow = rawX.length > 0 && rawX.every(x => num(x) === null);
  const strokes = column(chart, table, 'stroke');
  const groups = new Map<string, number[]>();
  rawX.forEach((_, i) => {
    const key = strokes.length ? String(strokes[i]) : chart.fields.y ?? '';
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  return [...groups.entries()].slice(0, MAX_LINES).map(([name, rows], n) => {
    const points = rows
      .map(i => ({ x: byRow ? i : num(rawX[i]), y: num(ys[i]) }))
      .filter((p): p is { x: number; y: number | null } => p.x !== null)
      .sort((a, b) => a.x - b.x);
    return { name, color: PALETTE[n % PALETTE.length], steps: points.map(p => p.x), values: points.map(p => p.y) };
  });
}

/** `count` equal bins over the finite values: edges (count + 1) and counts. */
export function bins(values: unknown[], count = BINS): { edges: number[]; counts: number[] } {
  const finite = values.map(num).filter((v): v is number => v !== null);
  if (!finite.length) {
    return { edges: [], counts: [] };
  }
  let [lo, hi] = bounds(finite);
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const n = Math.max(1, Math.min(count, new Set(finite).size));
  const width = (hi - lo) / n;
  const counts = new Array<number>(n).fill(0);
  for (const v of finite) {
    counts[Math.min(n - 1, Math.floor((v - lo) / width))]++;
  }
  return { edges: counts.map((_, i) => lo + i * width).concat(hi), counts };
}

/** The confusion matrix: classes in the table's order, `matrix[actual][predicted]` summed counts. */
export function confusion(chart: ChartData, table: TableBlob): { classes: string[]; matrix: number[][] } {
  const actual = column(chart, table, 'actual').map(String);
  const predicted = column(chart, table, 'predicted').map(String);
  const counts = column(chart, table, 'count');
  const classes = [...new Set([...actual, ...predicted])].slice(0, MAX_CLASSES);
  const where = new Map(classes.map((c, i) => [c, i]));
  const matrix = classes.map(() => classes.map(() => 0));
  actual.forEach((a, i) => {
    const r = where.get(a);
    const c = where.get(predicted[i]);
    const v = num(counts[i]);
    if (r !== undefined && c !== undefined && v !== null) {
      matrix[r][c] += v;
    }
  });
  return { classes, matrix };
}

/** The chart, its axis titles and legend, in a box with `data-chart` (test hook: counts on the drawn parts). */
export function drawChart(chart: ChartData, table: TableBlob, key: string): HTMLElement {
  const box = document.createElement('div');
  box.className = 'jt-plot';
  box.dataset.chart = chart.chart;
  const title = chart.title && chart.title !== key ? chart.title : '';
  const xTitle = chart.axes.x ?? chart.fields.x ?? chart.fields.value ?? chart.fields.predicted ?? '';
  const yTitle = chart.axes.y ?? chart.fields.y ?? chart.fields.label ?? chart.fields.actual ?? '';
  if (LINE_KINDS.includes(chart.chart)) {
    const lc = new LineChart({ title: title || key, xLabel: xTitle || 'x' });
    const lines = linesOf(chart, table);
    lc.setLines(lines);
    box.append(lc.node);
    if (lines.length > 1 || column(chart, table, 'stroke').length) {
      box.append(legend(lines));
    }
  } else {
    if (title) {
      box.append(text('div', 'jt-plot-title', title));
    }
    const draw = DRAW[chart.chart];
    if (draw) {
      const [plot, drawn] = draw(chart, table);
      box.append(plot);
      box.dataset.drawn = String(drawn);
    }
  }
  box.append(text('div', 'jt-plot-axes', `x: ${xTitle} · y: ${chart.chart === 'histogram' ? 'count' : yTitle}`));
  return box;
}

// -- drawing ------------------------------------------------------------------------------------------------
function text<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, content: string) {
  const node = document.createElement(tag);
  node.className = cls;
  node.textContent = content;
  return node;
}

function legend(lines: Line[]): HTMLElement {
  const node = text('div', 'jt-plot-legend', '');
  for (const l of lines) {
    const item = text('span', 'jt-plot-key', ` ${l.name}`);
    const swatch = text('span', 'jt-plot-swatch', '■');
    swatch.style.color = l.color;
    item.prepend(swatch);
    node.append(item);
  }
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes. */
function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    node.setAttribute(k, String(v));
  }
  return node;
}

/** A linear map of [d0, d1] onto [r0, r1]. */
function scale(d0: number, d1: number, r0: number, r1: number): (v: number) => number {
  const span = d1 - d0 || 1;
  return (v: number) => r0 + ((v - d0) / span) * (r1 - r0);
}

function label(plot: SVGSVGElement, x: number, y: number, content: string, anchor = 'middle'): void {
  const t = svg('text', { x, y, 'text-anchor': anchor, class: 'jt-lc-label' });
  t.textContent = content;
  plot.append(t);
}

/** [min, max] of `values` (a loop: spreading a long array into Math.min overflows the stack). */
export function bounds(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

function span(values: number[]): [number, number] {
  const [lo, hi] = bounds(values);
  return hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5];
}

function drawScatter(chart: ChartData, table: TableBlob): [Element, number] {
  const xs = column(chart, table, 'x').map(num);
  const ys = column(chart, table, 'y').map(num);
  const points = xs.map((x, i) => [x, ys[i]]).filter((p): p is number[] => p[0] !== null && p[1] !== null);
  const every = Math.ceil(points.length / MAX_POINTS);
  const shown = points.length > MAX_POINTS ? points.filter((_, i) => i % every === 0) : points;
  const plot = canvasChart('jt-plot-canvas', H, ({ canvas, ctx, area, color, fill }) => {
    if (!shown.length) {
      return null;
    }
    const padded = ([lo, hi]: [number, number]) => [lo - (hi - lo) * 0.04, hi + (hi - lo) * 0.04]; // dots inside
    const [x0, x1] = padded(span(shown.map(p => p[0])));
    const [y0, y1] = padded(span(shown.map(p => p[1])));
    const X = (v: number) => area.left + ((v - x0) / (x1 - x0)) * (area.right - area.left);
    const Y = (v: number) => area.bottom - ((v - y0) / (y1 - y0)) * (area.bottom - area.top);
    const labels = drawAxes(ctx, area, [x0, x1], [y0, y1], X, Y, color);
    canvas.setAttribute('aria-label', `x ${labels.x.join(', ')}; y ${labels.y.join(', ')}`);
    ctx.fillStyle = fill;
    ctx.globalAlpha = 0.8;
    for (const [a, b] of shown) {
      ctx.beginPath();
      ctx.arc(X(a), Y(b), 2.5, 0, 2 * Math.PI);
      ctx.fill();
    }
    return null;
  });
  return [plot.node, shown.length];
}

function drawBars(plot: SVGSVGElement, chart: ChartData, table: TableBlob): number {
  const labels = column(chart, table, 'label').slice(0, MAX_BARS).map(String);
  const values = column(chart, table, 'value').slice(0, MAX_BARS).map(num);
  const finite = values.filter((v): v is number => v !== null);
  if (!finite.length) {
    return 0;
  }
  const [lo, hi] = span([0, ...finite]);
  const x = scale(lo, hi, PAD.left + 40, W - PAD.right - 30);
  const row = (H - PAD.top - 4) / labels.length;
  labels.forEach((name, i) => {
    const v = values[i];
    const mid = PAD.top + (i + 0.5) * row;
    label(plot, PAD.left + 36, mid + 3, name.length > 14 ? `${name.slice(0, 13)}…` : name, 'end');
    if (v !== null) {
      const [a, b] = [x(0), x(v)].sort((p, q) => p - q);
      const thick = Math.min(row * 0.7, 22);
      plot.append(svg('rect', { x: a, y: mid - thick / 2, width: Math.max(b - a, 0.5), height: thick, class: 'jt-plot-mark' }));
      label(plot, b + 2, mid + 3, formatNumber(v), 'start');
    }
  });
  return labels.length;
}

function drawHistogram(chart: ChartData, table: TableBlob): [Element, number] {
  const { edges, counts } = bins(column(chart, table, 'value'));
  return [histogramChart({ bins: edges, values: counts }), counts.length];
}

function drawMatrix(plot: SVGSVGElement, chart: ChartData, table: TableBlob): number {
  const { classes, matrix } = confusion(chart, table);
  const n = classes.length;
  if (!n) {
    return 0;
  }
  const side = Math.min(W - PAD.left - 2 * PAD.right, H - PAD.top - PAD.bottom) / n;
  const peak = Math.max(1, bounds(matrix.flat())[1]);
  const x0 = PAD.left + 10;
  matrix.forEach((cells, r) => {
    cells.forEach((v, c) => {
      const cell = svg('rect', { x: x0 + c * side, y: PAD.top + r * side, width: side, height: side, class: 'jt-plot-cell' });
      cell.style.fillOpacity = String(0.06 + (0.94 * v) / peak);
      const tip = svg('title');
      tip.textContent = `${classes[r]} → ${classes[c]}: ${formatNumber(v)}`;
      cell.append(tip);
      plot.append(cell);
      if (n <= 12) {
        const t = svg('text', { x: x0 + (c + 0.5) * side, y: PAD.top + (r + 0.5) * side + 3, 'text-anchor': 'middle', class: 'jt-plot-count' });
        t.dataset.strong = String(v / peak > 0.5);
        t.textContent = formatNumber(v);
        plot.append(t);
      }
    });
    if (n <= 20) {
      label(plot, x0 - 3, PAD.top + (r + 0.5) * side + 3, classes[r].slice(0, 9), 'end');
      label(plot, x0 + (r + 0.5) * side, PAD.top + n * side + 11, classes[r].slice(0, Math.max(2, Math.floor(side / 6))));
    }
  });
  return n * n;
}

/** An SVG chart: `draw` fills it and says how many marks it drew. */
function inSvg(draw: (plot: SVGSVGElement, chart: ChartData, table: TableBlob) => number) {
  return (chart: ChartData, table: TableBlob): [Element, number] => {
    const plot = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'jt-lc-svg' });
    return [plot, draw(plot, chart, table)];
  };
}

/** Each chart kind but the lines: the drawn chart and how many marks (points, bars, bins, cells) it has. */
const DRAW: Record<string, (chart: ChartData, table: TableBlob) => [Element, number]> = {
  scatter: drawScatter,
  bar: inSvg(drawBars),
  histogram: drawHistogram,
  confusion_matrix: inSvg(drawMatrix)
};
