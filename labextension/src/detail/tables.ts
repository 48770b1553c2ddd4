/** The Tables tab of the run detail panel: the first rows of each logged table, at a step one can choose. */
import { formatNumber } from '../charts';
import { el } from '../dom';
import { RunRef, requestAPI, runPath } from '../request';
import { TablePage } from '../tokens';
import { configText } from './data';
import { fillSection, imageCell } from './media';

const TABLE_ROWS = 50;

/** Fill the Tables tab with the run's table `keys` (each read when the tab is first shown). */
export function renderTables(section: HTMLElement, ref: RunRef, keys: string[]): void {
  fillSection(section, keys, 'jt-table-box', 'jt-table-content', (key, content) =>
    fillTable(ref, key, content, undefined)
  );
}

async function fillTable(ref: RunRef, key: string, content: HTMLElement, step: number | undefined): Promise<void> {
  let page: TablePage;
  try {
    page = await requestAPI<TablePage>(runPath(ref, '/table'), { query: { key, step, page: 0, page_size: TABLE_ROWS } });
  } catch (error) {
    content.textContent = `could not load: ${error instanceof Error ? error.message : error}`;
    return;
  }
  const controls = el('div', 'jt-media-controls');
  if (page.steps.length > 1) {
    const select = el('select', 'jt-table-step');
    for (const s of page.steps) {
      select.append(new Option(`step ${s}`, String(s), false, s === page.step));
    }
    select.addEventListener('change', () => void fillTable(ref, key, content, Number(select.value)));
    controls.append(select);
  }
  const shown = Math.min(page.rows.length, page.nrows);
  controls.append(el('span', 'jt-media-step', `step ${page.step} · ${shown} of ${page.nrows} rows`));
  const table = el('table', 'jt-data-table');
  const head = el('tr');
  page.columns.forEach(c => head.append(el('th', '', String(c))));
  table.append(head);
  for (const row of page.rows) {
    const tr = el('tr');
    for (const cell of row) {
      const td = el('td');
      const c = cell as any;
      if (c && typeof c === 'object' && c._type === 'image') {
        td.append(imageCell(c, 'jt-table-image'));
      } else {
        td.textContent = typeof cell === 'number' ? formatNumber(cell) : configText(cell);
      }
      tr.append(td);
    }
    table.append(tr);
  }
  const scroller = el('div', 'jt-table-scroll');
  scroller.append(table);
  content.replaceChildren(controls, scroller);
}
