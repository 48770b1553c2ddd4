/**
 * Small dependency-free SVG line charts for the run detail panel, and the pure math behind them (scales, ticks,
 * gaps, merging live increments). No JupyterLab imports: the math is unit-tested in node (test/charts.test.ts).
 *
 * Colours come from JupyterLab's CSS variables (style/detail.css), so light and dark themes both read well.
 * Every text (metric keys, values) goes into the DOM with textContent.
 */

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

/**
 * About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k), inside the range.
 * On a log scale: powers of ten (or the nice linear ticks when the range spans less than a decade).
 */
export function ticks(lo: number, hi: number, count = 5, log = false): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) {
    return [];
  }
  if (log && lo > 0) {
    const a = Math.ceil(Math.log10(lo) - 1e-9);
    const b = Math.floor(Math.log10(hi) + 1e-9);
    if (b - a >= 1) {
      const every = Math.max(1, Math.ceil((b - a + 1) / count));
      const out: number[] = [];
      for (let e = a; e <= b; e += every) {
        out.push(Number((10 ** e).toPrecision(12)));
      }
      return out;
    }
  }
  if (hi === lo) {
    return [lo];
  }
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  // the nice step nearest the raw one (on a log scale), as d3's ticks do
  const step = (norm >= Math.sqrt(50) ? 10 : norm >= Math.sqrt(10) ? 5 : norm >= Math.sqrt(2) ? 2 : 1) * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    out.push(Number(t.toPrecision(12)));
  }
  return out;
}

/** A linear (or log10) map of [d0, d1] onto [r0, r1]. */
export function scale(d0: number, d1: number, r0: number, r1: number, log = false): (v: number) => number {
  const f = log ? Math.log10 : (v: number) => v;
  const a = f(d0);
  const b = f(d1);
  const span = b - a || 1;
  return (v: number) => r0 + ((f(v) - a) / span) * (r1 - r0);
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

/** The index of the point whose step is nearest `step` (steps ascending), or -1 when empty. */
export function nearest(steps: number[], step: number): number {
  if (!steps.length) {
    return -1;
  }
  let lo = 0;
  let hi = steps.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (steps[mid] <= step) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return Math.abs(steps[hi] - step) < Math.abs(steps[lo] - step) ? hi : lo;
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

// -- rendering -----------------------------------------------------------------------------------------------
const SVG_NS = 'http://www.w3.org/2000/svg';
const W = 380;
const H = 200;
const PAD = { left: 48, right: 10, top: 8, bottom: 22 };

/** An SVG element with attributes. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    node.setAttribute(k, String(v));
  }
  return node;
}

/**
 * One chart: a title, a log-scale toggle, an SVG with axes, gridlines, one path per line (a gap breaks
 * it) and a hover readout of the nearest point of every line. `node` is the element to mount.
 *
 * Test hooks: `data-metric` on the node (and `data-x`, the x-axis key, when it is not the step), `data-points`
 * (points drawn) on each path.
 */
export class LineChart {
  readonly node: HTMLDivElement;
  private readonly plot: SVGSVGElement;
  private readonly readout: HTMLDivElement;
  private lines: Line[] = [];
  private log = false;
  private readonly xLabel: string;

  /**
   * @param options.x the key the x-axis shows (default: the step).
   * @param options.xLabel names the x axis in the hover readout (default: `x`, else `step`).
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
    title.textContent = options.x ? `${options.title} vs ${options.x}` : options.title;
    title.title = title.textContent;
    head.append(title);
    const toggle = document.createElement('label');
    toggle.className = 'jt-lc-log';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.addEventListener('change', () => {
      this.log = box.checked;
      this.draw();
    });
    toggle.append(box, document.createTextNode('log'));
    head.append(toggle);
    this.readout = document.createElement('div');
    this.readout.className = 'jt-lc-readout';
    this.plot = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'jt-lc-svg' });
    this.plot.addEventListener('mousemove', ev => this.hover(ev));
    this.plot.addEventListener('mouseleave', () => this.hover(null));
    this.node.append(head, this.plot, this.readout);
  }

  /** Replace the lines and redraw. */
  setLines(lines: Line[]): void {
    this.lines = lines;
    this.draw();
  }

  private frame() {
    const box = extent(this.lines, this.log);
    if (!box) {
      return null;
    }
    return {
      box,
      x: scale(box.x0, box.x1, PAD.left, W - PAD.right),
      y: scale(box.y0, box.y1, H - PAD.bottom, PAD.top, this.log)
    };
  }

  private draw(): void {
    this.plot.replaceChildren();
    const frame = this.frame();
    this.node.dataset.empty = String(!frame);
    if (!frame) {
      const t = svg('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'jt-lc-label' });
      t.textContent = this.log ? 'no positive values for a log scale' : 'no finite values';
      this.plot.append(t);
      return;
    }
    const { box, x, y } = frame;
    for (const t of ticks(box.y0, box.y1, 4, this.log)) {
      this.plot.append(svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(t), y2: y(t), class: 'jt-lc-gridline' }));
      const label = svg('text', { x: PAD.left - 4, y: y(t) + 3, 'text-anchor': 'end', class: 'jt-lc-label' });
      label.textContent = formatNumber(t);
      this.plot.append(label);
    }
    for (const t of ticks(box.x0, box.x1, 5)) {
      const label = svg('text', { x: x(t), y: H - 6, 'text-anchor': 'middle', class: 'jt-lc-label' });
      label.textContent = formatNumber(t);
      this.plot.append(label);
    }
    this.plot.append(
      svg('rect', {
        x: PAD.left,
        y: PAD.top,
        width: W - PAD.left - PAD.right,
        height: H - PAD.top - PAD.bottom,
        class: 'jt-lc-frame'
      })
    );
    for (const line of this.lines) {
      let d = '';
      let points = 0;
      for (const seg of segments(line, this.log)) {
        seg.forEach((i, n) => {
          d += `${n ? 'L' : 'M'}${x(line.steps[i]).toFixed(1)},${y(line.values[i] as number).toFixed(1)}`;
        });
        if (seg.length === 1) {
          d += 'h0.01'; // a lone point between gaps: a dot (round line caps draw it)
        }
        points += seg.length;
      }
      const path = svg('path', { d, class: 'jt-lc-line' });
      path.style.stroke = line.color;
      path.dataset.points = String(points);
      path.dataset.name = line.name;
      this.plot.append(path);
    }
  }

  private hover(ev: MouseEvent | null): void {
    this.plot.querySelector('.jt-lc-cursor')?.remove();
    const frame = ev && this.frame();
    if (!ev || !frame) {
      this.readout.textContent = '';
      return;
    }
    const rect = this.plot.getBoundingClientRect();
    const px = ((ev.clientX - rect.left) / rect.width) * W;
    const step = frame.box.x0 + ((px - PAD.left) / (W - PAD.left - PAD.right)) * (frame.box.x1 - frame.box.x0);
    const parts: string[] = [];
    let at: number | null = null;
    for (const line of this.lines) {
      const i = nearest(line.steps, step);
      if (i < 0) {
        continue;
      }
      at = at ?? line.steps[i];
      const v = line.values[i];
      const name = this.lines.length > 1 ? `${line.name}: ` : '';
      parts.push(name + (v === null || v === undefined ? 'gap' : formatNumber(v)));
    }
    if (at === null) {
      this.readout.textContent = '';
      return;
    }
    this.plot.append(
      svg('line', { x1: frame.x(at), x2: frame.x(at), y1: PAD.top, y2: H - PAD.bottom, class: 'jt-lc-cursor' })
    );
    this.readout.textContent = `${this.xLabel} ${formatNumber(at)} · ${parts.join(' · ')}`;
  }
}
