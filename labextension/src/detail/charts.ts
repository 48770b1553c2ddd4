/**
 * The Charts and System tabs of the run detail panel: one line chart per scalar key (grouped by prefix) and per
 * system key, drawn from the model's points; a key a live run logs for the first time gets a chart at the end.
 * A key with a `define_metric(step_metric=)` is drawn against that key (as of each step), else against the step.
 * Every line has the run's colour (the one it has in a compare); a slider smooths every chart of the Charts tab.
 */
import { LineChart, groupByPrefix } from '../charts';
import { el } from '../dom';
import { RunDetail } from '../tokens';
import { alongAxis, stepMetricFor } from './data';
import { ChartData } from './model';

export class ChartsView {
  /** @param charts the Charts tab's section, @param system the System tab's. */
  constructor(
    private readonly charts: HTMLElement,
    private readonly system: HTMLElement
  ) {}

  /** One empty chart per key of `d` (the points follow with `draw`). */
  render(d: RunDetail): void {
    this.metrics = d.meta?.metrics;
    this.color = d.color;
    this.lines.clear();
    this.smoothed = [];
    this.charts.replaceChildren(this.smoothingControl());
    this.system.replaceChildren();
    this.build(this.charts, d.keys.scalars, true);
    this.build(this.system, d.keys.system, false);
    if (!d.keys.scalars.length) {
      this.charts.append(el('p', 'jt-empty', 'This run logged no scalar metrics.'));
    }
  }

  /** Charts for keys a live run logged for the first time since the panel loaded. */
  add(keys: string[]): void {
    this.charts.querySelector(':scope > .jt-empty')?.remove(); // "logged no scalar metrics" no longer holds
    let grid = this.charts.querySelector<HTMLElement>('.jt-lc-group[data-prefix="__new"] .jt-lc-grid');
    if (!grid) {
      const group = el('div', 'jt-lc-group');
      group.dataset.prefix = '__new';
      group.append(el('h3', 'jt-lc-group-title', 'new since opened'));
      grid = el('div', 'jt-lc-grid');
      group.append(grid);
      this.charts.append(group);
    }
    for (const key of keys) {
      grid.append(this.chart(key, true));
    }
  }

  /** Draw the points of `keys` (and of the charts drawn against one of them). */
  draw(data: ReadonlyMap<string, ChartData>, keys: string[]): void {
    const changed = new Set(keys);
    for (const [key, chart] of this.lines) {
      if (chart.node.dataset.x && changed.has(chart.node.dataset.x)) {
        changed.add(key);
      }
    }
    for (const key of changed) {
      const chart = this.lines.get(key);
      const points = data.get(key);
      if (chart && points) {
        const x = chart.node.dataset.x;
        const axis = x ? data.get(x) : undefined; // undefined: that key was never logged, the step stands in
        const series = axis ? alongAxis(points.series, axis.series) : points.series;
        chart.setLines([{ name: key, color: this.color, ...series }]);
        chart.node.dataset.count = String(points.count);
      }
    }
  }

  private build(host: HTMLElement, keys: string[], grouped: boolean): void {
    for (const [prefix, members] of grouped ? groupByPrefix(keys) : [['', keys] as [string, string[]]]) {
      const group = el('div', 'jt-lc-group');
      group.dataset.prefix = prefix;
      if (grouped && (prefix || keys.length !== members.length)) {
        group.append(el('h3', 'jt-lc-group-title', prefix || 'metrics'));
      }
      const grid = el('div', 'jt-lc-grid');
      for (const key of members) {
        grid.append(this.chart(key, grouped));
      }
      group.append(grid);
      host.append(group);
    }
  }

  /** A chart of `key`, against its step metric when `scalar` (system keys have the wall-time stream's steps). */
  private chart(key: string, scalar: boolean): HTMLElement {
    const chart = new LineChart({ title: key, x: scalar ? stepMetricFor(key, this.metrics) : null });
    if (scalar) {
      chart.setSmoothing(this.smoothing);
      this.smoothed.push(chart);
    }
    this.lines.set(key, chart);
    return chart.node;
  }

  /** The Charts tab's smoothing slider (TensorBoard's: the weight of the moving average), kept across reloads. */
  private smoothingControl(): HTMLElement {
    const label = el('label', 'jt-lc-smoothing', 'smoothing ');
    const slider = el('input');
    Object.assign(slider, { type: 'range', min: '0', max: '0.99', step: '0.01', value: String(this.smoothing) });
    slider.addEventListener('input', () => {
      this.smoothing = Number(slider.value);
      for (const chart of this.smoothed) {
        chart.setSmoothing(this.smoothing);
      }
    });
    label.append(slider);
    return label;
  }

  private readonly lines = new Map<string, LineChart>();
  private smoothed: LineChart[] = []; // the Charts tab's (the System tab's are drawn as measured)
  private metrics: unknown = null; // the run's define_metric()s (meta.metrics)
  private color = '#1f77b4'; // the run's (RunDetail.color)
  private smoothing = 0;
}
