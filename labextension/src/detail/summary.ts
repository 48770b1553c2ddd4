/** The Summary tab of the run detail panel: each key's last value, min, max and number of points. */
import { formatNumber } from '../charts';
import { el } from '../dom';
import { RunDetail } from '../tokens';
import { SYSTEM_PREFIX, configText, describeMedium } from './data';

export function renderSummary(section: HTMLElement, d: RunDetail): void {
  const table = el('table', 'jt-kv');
  const head = el('tr');
  ['key', 'last', 'min', 'max', 'points'].forEach(h => head.append(el('th', 'jt-kv-head', h)));
  table.append(head);
  for (const [key, value] of Object.entries(d.summary || {})) {
    if (key.startsWith(SYSTEM_PREFIX)) {
      continue;
    }
    const stats = d.summary_stats?.[key];
    const tr = el('tr');
    tr.dataset.key = key;
    const shown =
      value !== null && typeof value === 'object' && '_type' in (value as object)
        ? describeMedium(value) // a one-line description, never a jt.watch histogram's numbers
        : typeof value === 'number'
          ? formatNumber(value)
          : configText(value);
    tr.append(
      el('th', '', key),
      el('td', '', shown),
      el('td', '', stats?.min === undefined ? '' : formatNumber(stats.min)),
      el('td', '', stats?.max === undefined ? '' : formatNumber(stats.max)),
      el('td', '', stats?.count === undefined ? '' : String(stats.count))
    );
    table.append(tr);
  }
  section.replaceChildren(table);
}
