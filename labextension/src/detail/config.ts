/** The Config tab of the run detail panel: the run's config flattened to dotted keys, searchable. */
import { el } from '../dom';
import { RunDetail } from '../tokens';
import { configText, filterEntries, flattenConfig } from './data';

export function renderConfig(section: HTMLElement, d: RunDetail): void {
  const entries = flattenConfig(d.config || {});
  const search = el('input', 'jp-mod-styled jt-config-search');
  search.type = 'search';
  search.placeholder = `Search ${entries.length} config values`;
  const table = el('table', 'jt-kv');
  const fill = () => {
    const shown = filterEntries(entries, search.value);
    table.replaceChildren(
      ...shown.map(([key, value]) => {
        const tr = el('tr');
        tr.dataset.key = key;
        tr.append(el('th', '', key), el('td', '', configText(value)));
        return tr;
      })
    );
    if (!shown.length) {
      table.append(el('tr', 'jt-empty', entries.length ? 'no config key matches' : 'no config'));
    }
  };
  search.addEventListener('input', fill);
  fill();
  section.replaceChildren(search, table);
}
