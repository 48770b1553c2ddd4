/**
 * The Charts and System tabs of the run detail panel: one line chart per scalar key (grouped by prefix) and per
 * system key, drawn from the model's points; a key a live run logs for the first time gets a chart at the end.
 */
import { LineChart, groupByPrefix } from '../charts';
import { el } from '../dom';
import { RunDetail } from '../tokens';
import { ChartData } from './model';

export class ChartsView {
  /** @param charts the Charts tab's section, @param system the System tab's. */
  constructor(
    private readonly charts: HTMLElement,
    private readonly system: HTMLElement
  ) {}

  /** One empty chart per key of `d` (the points follow with `draw`). */
  render(d: RunDetail): void {
    this.lines.clear();
    this.charts.replaceChildren();
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
      const chart = new LineChart({ title: key });
      grid.append(chart.node);
      this.lines.set(key, chart);
    }
  }

  /** Draw the points of `keys`. */
  draw(data: ReadonlyMap<string, ChartData>, keys: string[]): void {
    for (const key of keys) {
      const chart = this.lines.get(key);
      const points = data.get(key);
      if (chart && points) {
        chart.setLines([{ name: key, color: 'var(--jp-brand-color1)', ...points.series }]);
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
        const chart = new LineChart({ title: key });
        grid.append(chart.node);
        this.lines.set(key, chart);
      }
      group.append(grid);
      host.append(group);
    }
  }

  private readonly lines = new Map<string, LineChart>();
}
