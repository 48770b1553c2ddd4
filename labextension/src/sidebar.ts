/**
 * The "Runs" sidebar: a project's runs, paged, sorted and filtered on the server, kept live by its model's poll
 * of the `changes` cursor (sidebarModel.ts; only changed rows are redrawn; histories are never fetched here).
 * This view renders the model and keeps the selection.
 */
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from './commandIds';
import { el } from './dom';
import { alertTooltip, baseName, formatDateTime, formatDuration, formatTime, formatValue } from './format';
import { runsIcon } from './icons';
import {
  ColumnFit,
  ViewState,
  collapsedColumns,
  columnChoiceKey,
  groupItems,
  metricColumns,
  parseColumnChoice,
  rankedKeys,
  summaryKeyCounts,
  nextSelection,
  pageLabel,
  pageOffset,
  parseTags,
  toggleSort
} from './logic';
import { RunRef } from './request';
import { RunListChange, RunListModel } from './sidebarModel';
import { RUN_STATES, RunRow } from './tokens';

/** The sidebar's id: also its tab's `data-id` (`li[data-id="jupyter-track-sidebar"]`). */
export const SIDEBAR_ID = 'jupyter-track-sidebar';

/** What the sidebar reads from the extension's settings. */
export interface SidebarSettings {
  pollInterval: number; // ms between two `changes` polls while the sidebar is visible
  metricColumns: string[]; // summary keys shown as columns (empty: the project's most common keys)
  pageSize: number; // runs per page
}

interface Column {
  id: string; // `state`, `name`, ..., or `summary.<key>`
  label: string;
  sort: string | null; // the server's sort column, null when it cannot sort by it
  title?: string;
  width: number; // px it needs at least in a narrow sidebar (its width, but the name's: that takes the rest)
  priority: number; // lower: kept longer as the sidebar narrows
}

/** How many metric columns the sidebar picks by default. */
const DEFAULT_METRICS = 3;

/** Below this width (px) the state badge is a coloured dot (its state in the tooltip). */
const COMPACT_WIDTH = 360;

export class RunsSidebar extends Widget {
  constructor(options: { commands: CommandRegistry; settings: SidebarSettings }) {
    super();
    this._commands = options.commands;
    this._settings = { ...options.settings };
    this.id = SIDEBAR_ID;
    this.addClass('jp-TrackSidebar');
    this.title.icon = runsIcon;
    this.title.caption = 'Experiment runs (jupyter_track)';
    this.model = new RunListModel({
      pageSize: this._settings.pageSize,
      pollInterval: this._settings.pollInterval,
      visible: () => this.isVisible
    });
    this.model.changed.connect((_, change) => this._onModelChanged(change));
    this._build();
  }

  /** The projects and the page shown, kept live by polling. */
  readonly model: RunListModel;

  /** Emitted when the selection changes (commands' enabled state follows it). */
  get selectionChanged(): ISignal<this, RunRef[]> {
    return this._selectionChanged;
  }

  /** The project shown ('' before the projects are loaded). */
  get project(): string {
    return this.model.view.project;
  }

  /** The runs shown, in display order. */
  get rows(): readonly RunRow[] {
    return this.model.rows;
  }

  /** The selected runs (in display order). */
  selectedRuns(): RunRef[] {
    return this.model.rows
      .filter(r => this._selected.includes(r.id))
      .map(r => ({ project: r.project, runId: r.id }));
  }

  /** The run a context menu was opened on (it is also selected), or the only selected run. */
  contextRun(): RunRef | null {
    if (this._contextRun) {
      return this._contextRun;
    }
    const selected = this.selectedRuns();
    return selected.length === 1 ? selected[0] : null;
  }

  /** Apply new settings (a changed page size or metric columns reloads the page). */
  updateSettings(settings: SidebarSettings): void {
    const reload =
      settings.pageSize !== this._settings.pageSize ||
      JSON.stringify(settings.metricColumns) !== JSON.stringify(this._settings.metricColumns);
    this._settings = { ...settings };
    this.model.pollInterval = settings.pollInterval;
    if (reload && this.model.view.project) {
      void this.model.setView({ ...this.model.view, limit: settings.pageSize, offset: 0 });
    }
  }

  /** Show another project (first page, filters kept). */
  async setProject(project: string): Promise<void> {
    this._selected = [];
    await this.model.setProject(project);
  }

  /** Read the projects, then the page shown, from the server. */
  refresh(): Promise<void> {
    return this.model.refresh();
  }

  /** Read the page shown again (after a filter, sort, page or delete). */
  reload(): Promise<void> {
    return this.model.reload();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (!this._started) {
      this._started = true;
      void this.refresh();
      this.model.start(); // the poll stands by while the sidebar is hidden: no requests then
    }
  }

  protected onBeforeHide(msg: Message): void {
    super.onBeforeHide(msg);
    this._showDetails(null);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.reload(); // catch up on what happened while hidden
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._resize.disconnect();
    this._details.remove();
    this.model.dispose();
    Signal.clearData(this);
    super.dispose();
  }

  // -- model ---------------------------------------------------------------------------------------------
  private _onModelChanged(change: RunListChange): void {
    switch (change.kind) {
      case 'projects':
        this._renderProjects();
        break;
      case 'page':
        this._showPage();
        break;
      case 'rows':
        this._redrawRows(change.ids);
        break;
      case 'error':
        this._error.textContent = change.message;
        this._error.hidden = !change.message;
        break;
    }
  }

  private _setView(view: ViewState): void {
    void this.model.setView(view);
  }

  /** A new page from the model: keep the selected runs it still shows, redraw the table. */
  private _showPage(): void {
    const ids = new Set(this.model.rows.map(r => r.id));
    const kept = this._selected.filter(id => ids.has(id));
    if (kept.length !== this._selected.length) {
      this._selected = kept;
      this._selectionChanged.emit(this.selectedRuns());
    }
    this._projectSelect.value = this.model.view.project;
    this._columns = this._makeColumns();
    this._renderHead();
    this._renderBody();
    this._renderFooter();
  }

  /** Changed rows of the page: redraw them, or the whole table when the metric columns change with them. */
  private _redrawRows(ids: string[]): void {
    const columns = this._makeColumns();
    if (columns.map(c => c.id).join('\n') !== this._columns.map(c => c.id).join('\n')) {
      // a run's first metrics arrived: the default metric columns change, so the whole table is redrawn
      this._columns = columns;
      this._renderHead();
      this._renderBody();
      return;
    }
    for (const id of ids) {
      this._redrawRow(id);
    }
  }

  private _makeColumns(): Column[] {
    const project = this.model.view.project;
    const chosen = this._chosenColumns(project);
    const metrics = metricColumns(
      this._settings.metricColumns,
      this.model.rows,
      DEFAULT_METRICS,
      chosen,
      this._shownDefaults.get(project) ?? []
    );
    if (chosen === null && this._settings.metricColumns.length === 0) {
      this._shownDefaults.set(project, metrics); // kept while runs with other keys arrive
    }
    // the metrics first after the name: in a narrow sidebar they are what one compares at a glance; as it
    // narrows, the columns collapse from the last (group, notebook …) to the first metric
    const columns: Column[] = [
      { id: 'state', label: '', sort: 'state', title: 'State', width: 20, priority: 0 },
      { id: 'name', label: 'Name', sort: 'name', width: 60, priority: 1 }
    ];
    metrics.forEach((key, i) =>
      columns.push({
        id: `summary.${key}`,
        label: key,
        sort: `summary.${key}`,
        title: `summary: ${key}`,
        width: 56,
        priority: 2 + i
      })
    );
    columns.push(
      { id: 'created_at', label: 'Started', sort: 'created_at', width: 68, priority: 100 },
      { id: 'duration', label: 'Duration', sort: null, width: 70, priority: 101 },
      { id: 'notebook', label: 'Notebook', sort: null, width: 96, priority: 103 }
    );
    if (!this._byGroup) {
      columns.push({ id: 'group', label: 'Group', sort: 'group', width: 72, priority: 102 });
    }
    return columns;
  }

  /** The metric columns the user chose for `project` (remembered in the browser), or null. */
  private _chosenColumns(project: string): string[] | null {
    try {
      return parseColumnChoice(window.localStorage.getItem(columnChoiceKey(project)));
    } catch {
      return null; // storage refused (a private window): the defaults
    }
  }

  private _chooseColumns(keys: string[] | null): void {
    const storageKey = columnChoiceKey(this.model.view.project);
    try {
      if (keys === null) {
        window.localStorage.removeItem(storageKey);
      } else {
        window.localStorage.setItem(storageKey, JSON.stringify(keys));
      }
    } catch {
      // storage refused: the choice holds until the page is reloaded
    }
    this._shownDefaults.delete(this.model.view.project);
    this._columns = this._makeColumns();
    this._renderHead();
    this._renderBody(); // and the picker
  }

  private _togglePicker(): void {
    this._picker.hidden = !this._picker.hidden;
    this._columnsButton.classList.toggle('jp-mod-active', !this._picker.hidden);
    this._renderPicker();
  }

  /** The metric column picker: a checkbox per summary key of the runs shown (most common first). */
  private _renderPicker(): void {
    if (this._picker.hidden) {
      return;
    }
    const shown = this._columns.filter(c => c.id.startsWith('summary.')).map(c => c.id.slice('summary.'.length));
    const counts = summaryKeyCounts(this.model.rows);
    const keys = rankedKeys(counts);
    for (const key of shown) {
      if (!keys.includes(key)) {
        keys.push(key);
      }
    }
    this._picker.replaceChildren();
    for (const key of keys) {
      const label = el('label', 'jp-TrackSidebar-pickerItem');
      const box = el('input');
      box.type = 'checkbox';
      box.value = key;
      box.checked = shown.includes(key);
      box.addEventListener('change', () =>
        this._chooseColumns(box.checked ? [...shown, key] : shown.filter(k => k !== key))
      );
      label.append(box, document.createTextNode(` ${key}`));
      label.title = `${counts.get(key) ?? 0} of the ${this.model.rows.length} runs shown have ${key}`;
      this._picker.append(label);
    }
    if (keys.length === 0) {
      this._picker.append(el('span', 'jp-TrackSidebar-pickerEmpty', 'No metrics logged yet.'));
    }
    const reset = button('Default', 'jp-TrackSidebar-pickerReset', "This project's most common metrics");
    reset.disabled = this._chosenColumns(this.model.view.project) === null;
    reset.addEventListener('click', () => this._chooseColumns(null));
    this._picker.append(reset);
  }

  /** Hide the columns that do not fit the sidebar's width (least important first); fixed widths but the name's. */
  private _fitColumns(): void {
    const available = this._list.clientWidth;
    if (available <= 0) {
      return; // hidden: laid out when shown again
    }
    const compact = available < COMPACT_WIDTH;
    const fits: ColumnFit[] = this._columns.map(c => ({
      id: c.id,
      // wider, the state is a badge with its name and the cells have more padding (style/base.css)
      width: compact || c.id === 'name' ? c.width : c.id === 'state' ? 76 : c.width + 8,
      priority: c.priority
    }));
    const hidden = new Set(collapsedColumns(fits, available));
    this._hidden = this._columns.filter(c => hidden.has(c.id));
    this._table.classList.toggle('jp-mod-compact', compact);
    for (const th of this._thead.querySelectorAll<HTMLElement>('th[data-column]')) {
      const fit = fits.find(f => f.id === th.dataset.column);
      th.hidden = hidden.has(th.dataset.column!);
      th.style.width = fit && fit.id !== 'name' ? `${fit.width}px` : '';
    }
    for (const td of this._tbody.querySelectorAll<HTMLElement>('td[data-column]')) {
      td.hidden = hidden.has(td.dataset.column!);
    }
  }

  /** The card with the collapsed columns of the row under the mouse (none: hidden). */
  private _showDetails(tr: HTMLTableRowElement | null): void {
    if (!tr || this._hidden.length === 0) {
      this._details.hidden = true;
      return;
    }
    this._details.replaceChildren();
    for (const column of this._hidden) {
      const cell = tr.querySelector<HTMLElement>(`td[data-column="${CSS.escape(column.id)}"]`);
      const text = cell?.textContent ?? '';
      if (!text) {
        continue; // nothing to say (no notebook, no group)
      }
      const line = el('div', 'jp-TrackSidebar-detailsItem');
      line.dataset.column = column.id;
      line.append(el('span', 'jp-TrackSidebar-detailsLabel', column.title ?? column.label), el('span', '', text));
      this._details.append(line);
    }
    // beside the sidebar, level with the row: it covers no other row
    const box = tr.getBoundingClientRect();
    this._details.style.left = `${this._list.getBoundingClientRect().right + 4}px`;
    this._details.style.top = `${box.top}px`;
    this._details.hidden = this._details.childElementCount === 0;
  }

  // -- DOM ------------------------------------------------------------------------------------------------
  private _build(): void {
    const node = this.node;
    const header = el('div', 'jp-TrackSidebar-header');
    const title = el('span', 'jp-TrackSidebar-title', 'Runs');
    this._projectSelect = el('select', 'jp-TrackSidebar-project');
    this._projectSelect.title = 'Project';
    this._projectSelect.addEventListener('change', () => void this.setProject(this._projectSelect.value));
    const refresh = button('⟳', 'jp-TrackSidebar-refresh', 'Reload projects and runs');
    refresh.addEventListener('click', () => void this.refresh());
    this._columnsButton = button('⚙', 'jp-TrackSidebar-columnsButton', 'Choose the metric columns of this project');
    this._columnsButton.addEventListener('click', () => this._togglePicker());
    header.append(title, this._projectSelect, this._columnsButton, refresh);
    this._picker = el('div', 'jp-TrackSidebar-picker');
    this._picker.hidden = true;

    const filters = el('div', 'jp-TrackSidebar-filters');
    this._search = el('input', 'jp-TrackSidebar-search');
    this._search.type = 'search';
    this._search.placeholder = 'Search name, id, notes, tags';
    this._search.addEventListener('input', () => {
      if (this._searchTimer !== null) {
        window.clearTimeout(this._searchTimer);
      }
      // typed text is sent once the user pauses, not per key
      this._searchTimer = window.setTimeout(() => {
        this._searchTimer = null;
        this._setView({ ...this.model.view, search: this._search.value, offset: 0 });
      }, 250);
    });
    this._stateSelect = el('select', 'jp-TrackSidebar-state');
    this._stateSelect.title = 'Show runs in this state';
    for (const state of ['', ...RUN_STATES]) {
      const option = el('option', '', state || 'all states');
      option.value = state;
      this._stateSelect.appendChild(option);
    }
    this._stateSelect.addEventListener('change', () => {
      const state = this._stateSelect.value;
      this._setView({ ...this.model.view, states: state ? [state] : [], offset: 0 });
    });
    this._tagInput = el('input', 'jp-TrackSidebar-tag');
    this._tagInput.type = 'text';
    this._tagInput.placeholder = 'tags';
    this._tagInput.title = 'Only runs with every one of these tags (comma separated)';
    this._tagInput.addEventListener('change', () =>
      this._setView({ ...this.model.view, tags: parseTags(this._tagInput.value), offset: 0 })
    );
    const groupLabel = el('label', 'jp-TrackSidebar-byGroup');
    this._groupToggle = el('input');
    this._groupToggle.type = 'checkbox';
    this._groupToggle.addEventListener('change', () => {
      this._byGroup = this._groupToggle.checked;
      this._columns = this._makeColumns();
      this._renderHead();
      this._renderBody();
    });
    groupLabel.append(this._groupToggle, document.createTextNode(' by group'));
    filters.append(this._search, this._stateSelect, this._tagInput, groupLabel);

    const actions = el('div', 'jp-TrackSidebar-actions');
    this._compareButton = button('Compare selected', 'jp-TrackSidebar-compare', 'Compare the selected runs');
    this._compareButton.disabled = true;
    this._compareButton.addEventListener('click', () => {
      const runs = this.selectedRuns();
      if (runs.length > 0) {
        void this._commands.execute(CommandIDs.compare, { runs: runs as any });
      }
    });
    this._selectionLabel = el('span', 'jp-TrackSidebar-selection');
    actions.append(this._compareButton, this._selectionLabel);

    this._error = el('div', 'jp-TrackSidebar-error');
    this._error.hidden = true;

    const list = el('div', 'jp-TrackSidebar-list');
    this._table = el('table', 'jp-TrackSidebar-table');
    this._thead = el('thead');
    this._tbody = el('tbody');
    this._table.append(this._thead, this._tbody);
    this._empty = el('div', 'jp-TrackSidebar-empty');
    list.append(this._table, this._empty);
    this._tbody.addEventListener('click', event => this._onRowClick(event));
    this._tbody.addEventListener('contextmenu', event => this._onRowContextMenu(event), true);
    this._tbody.addEventListener('keydown', event => this._onRowKey(event));
    // the columns collapsed for lack of width are shown in a card while the mouse is over a row
    // (in the page's body: the sidebar's panels clip what overflows them)
    this._details = el('div', 'jp-TrackSidebar-details');
    this._details.hidden = true;
    document.body.append(this._details);
    this._tbody.addEventListener('mouseover', event => this._showDetails(this._rowOf(event)));
    this._tbody.addEventListener('mouseleave', () => this._showDetails(null));
    this._list = list;
    this._resize = new ResizeObserver(() => this._fitColumns());
    this._resize.observe(list);

    const footer = el('div', 'jp-TrackSidebar-footer');
    this._prev = button('‹', 'jp-TrackSidebar-prev', 'Previous page');
    this._next = button('›', 'jp-TrackSidebar-next', 'Next page');
    this._range = el('span', 'jp-TrackSidebar-range');
    this._prev.addEventListener('click', () =>
      this._setView({ ...this.model.view, offset: pageOffset(this.model.view, this.model.total, -1) })
    );
    this._next.addEventListener('click', () =>
      this._setView({ ...this.model.view, offset: pageOffset(this.model.view, this.model.total, 1) })
    );
    footer.append(this._prev, this._range, this._next);

    node.append(header, this._picker, filters, actions, this._error, list, footer);
  }

  private _renderProjects(): void {
    const select = this._projectSelect;
    select.textContent = '';
    for (const project of this.model.projects) {
      const option = el('option', '', `${project.name} (${project.runs})`);
      option.value = project.name;
      select.appendChild(option);
    }
    if (this.model.projects.length === 0) {
      const option = el('option', '', 'no projects yet');
      option.value = '';
      select.appendChild(option);
    }
    select.value = this.model.view.project;
  }

  private _renderHead(): void {
    const row = el('tr');
    for (const column of this._columns) {
      const th = el('th', `jp-TrackSidebar-col-${cssName(column.id)}`);
      th.dataset.column = column.id;
      th.title = column.title ?? column.label;
      const label = el('span', '', column.label);
      th.appendChild(label);
      if (column.sort) {
        th.classList.add('jp-mod-sortable');
        if (this.model.view.sort === column.sort) {
          th.classList.add('jp-mod-sorted');
          th.appendChild(el('span', 'jp-TrackSidebar-sortArrow', this.model.view.order === 'asc' ? ' ▲' : ' ▼'));
          th.setAttribute('aria-sort', this.model.view.order === 'asc' ? 'ascending' : 'descending');
        }
        const sort = column.sort;
        th.addEventListener('click', () => this._setView(toggleSort(this.model.view, sort)));
      }
      row.appendChild(th);
    }
    this._thead.textContent = '';
    this._thead.appendChild(row);
  }

  private _renderBody(): void {
    this._tbody.textContent = '';
    this._rowNodes.clear();
    for (const item of groupItems(this.model.rows, this._byGroup)) {
      if (item.kind === 'group') {
        const tr = el('tr', 'jp-TrackSidebar-groupRow');
        const td = el('td', '', `${item.group} · ${item.count}`);
        td.colSpan = this._columns.length;
        tr.appendChild(td);
        this._tbody.appendChild(tr);
        continue;
      }
      const tr = this._makeRow(item.row);
      this._rowNodes.set(item.row.id, tr);
      this._tbody.appendChild(tr);
    }
    this._empty.textContent =
      this.model.rows.length > 0
        ? ''
        : this.model.view.project
          ? 'No runs match.'
          : 'No runs yet: call jt.init() in a notebook and its run appears here.';
    this._empty.hidden = this.model.rows.length > 0;
    this._renderSelection();
    this._fitColumns();
    this._renderPicker();
  }

  private _renderFooter(): void {
    this._range.textContent = pageLabel(this.model.view.offset, this.model.rows.length, this.model.total);
    this._prev.disabled = this.model.view.offset <= 0;
    this._next.disabled = this.model.view.offset + this.model.rows.length >= this.model.total;
  }

  private _makeRow(run: RunRow): HTMLTableRowElement {
    const tr = el('tr', 'jp-TrackSidebar-row');
    tr.dataset.runId = run.id;
    tr.dataset.project = run.project;
    tr.dataset.state = run.state;
    tr.tabIndex = -1;
    for (const column of this._columns) {
      tr.appendChild(this._makeCell(run, column));
    }
    if (this._selected.includes(run.id)) {
      tr.classList.add('jp-mod-selected');
      tr.setAttribute('aria-selected', 'true');
    }
    return tr;
  }

  private _makeCell(run: RunRow, column: Column): HTMLTableCellElement {
    const td = el('td', `jp-TrackSidebar-col-${cssName(column.id)}`);
    td.dataset.column = column.id;
    td.hidden = this._hidden.some(c => c.id === column.id);
    switch (column.id) {
      case 'state': {
        const badge = el('span', 'jp-TrackSidebar-badge', run.state);
        badge.dataset.state = run.state;
        badge.title = run.last_step !== null ? `${run.state}, step ${run.last_step}` : run.state;
        td.appendChild(badge);
        break;
      }
      case 'name':
        td.textContent = run.name;
        td.title = `${run.name}\nid: ${run.id}${run.tags.length ? `\ntags: ${run.tags.join(', ')}` : ''}${
          run.notes ? `\n${run.notes}` : ''
        }`;
        if (run.alerts) {
          // run.alert(...): the count, and the latest alert as the tooltip
          const alerts = el('span', 'jp-TrackSidebar-alerts', `⚠ ${run.alerts.count}`);
          alerts.dataset.level = run.alerts.level;
          alerts.title = alertTooltip(run.alerts);
          td.append(' ', alerts);
        }
        break;
      case 'created_at':
        td.textContent = formatTime(run.created_at);
        td.title = formatDateTime(run.created_at);
        break;
      case 'duration':
        td.textContent = formatDuration(run.duration);
        break;
      case 'notebook':
        td.textContent = baseName(run.notebook);
        td.title = run.notebook ?? '';
        break;
      case 'group':
        td.textContent = run.group ?? '';
        break;
      default: {
        const key = column.id.slice('summary.'.length);
        const value = run.summary[key];
        td.textContent = formatValue(value);
        td.title = value === undefined ? '' : `${key} = ${typeof value === 'string' ? value : JSON.stringify(value)}`;
        td.classList.add('jp-TrackSidebar-metric');
      }
    }
    return td;
  }

  private _redrawRow(id: string): void {
    const old = this._rowNodes.get(id);
    const run = this.model.rows.find(r => r.id === id);
    if (!old || !run) {
      return;
    }
    const fresh = this._makeRow(run);
    old.replaceWith(fresh);
    this._rowNodes.set(id, fresh);
  }

  private _renderSelection(): void {
    for (const [id, tr] of this._rowNodes) {
      const selected = this._selected.includes(id);
      tr.classList.toggle('jp-mod-selected', selected);
      tr.setAttribute('aria-selected', selected ? 'true' : 'false');
    }
    const n = this._selected.length;
    this._compareButton.disabled = n < 1;
    this._compareButton.textContent = n > 0 ? `Compare selected (${n})` : 'Compare selected';
    this._selectionLabel.textContent = n > 1 ? `${n} selected` : '';
  }

  private _rowOf(event: Event): HTMLTableRowElement | null {
    const target = event.target as HTMLElement | null;
    return (target?.closest('tr.jp-TrackSidebar-row') as HTMLTableRowElement | null) ?? null;
  }

  private _onRowClick(event: MouseEvent): void {
    const tr = this._rowOf(event);
    if (!tr) {
      return;
    }
    const id = tr.dataset.runId!;
    const keys = { toggle: event.ctrlKey || event.metaKey, range: event.shiftKey };
    const ids = groupItems(this.model.rows, this._byGroup)
      .filter(i => i.kind === 'run')
      .map(i => (i as { kind: 'run'; row: RunRow }).row.id);
    const next = nextSelection(this._selected, ids, id, keys, this._anchor);
    this._selected = next.selected;
    this._anchor = next.anchor;
    this._renderSelection();
    this._selectionChanged.emit(this.selectedRuns());
    if (keys.range) {
      window.getSelection()?.removeAllRanges(); // shift-click selects text otherwise
    }
    if (!keys.toggle && !keys.range) {
      void this._commands.execute(CommandIDs.openRun, { project: tr.dataset.project!, runId: id });
    }
  }

  private _onRowContextMenu(event: MouseEvent): void {
    const tr = this._rowOf(event);
    if (!tr) {
      this._contextRun = null;
      return;
    }
    const id = tr.dataset.runId!;
    this._contextRun = { project: tr.dataset.project!, runId: id };
    if (!this._selected.includes(id)) {
      this._selected = [id];
      this._anchor = id;
      this._renderSelection();
      this._selectionChanged.emit(this.selectedRuns());
    }
  }

  private _onRowKey(event: KeyboardEvent): void {
    const tr = this._rowOf(event);
    if (tr && event.key === 'Enter') {
      void this._commands.execute(CommandIDs.openRun, { project: tr.dataset.project!, runId: tr.dataset.runId! });
    }
  }

  private _commands: CommandRegistry;
  private _settings: SidebarSettings;
  private _columns: Column[] = [];
  private _hidden: Column[] = []; // collapsed for lack of width
  private _shownDefaults = new Map<string, string[]>(); // per project: the default metric columns shown
  private _selected: string[] = [];
  private _anchor: string | null = null;
  private _contextRun: RunRef | null = null;
  private _byGroup = false;
  private _started = false;
  private _searchTimer: number | null = null;
  private _rowNodes = new Map<string, HTMLTableRowElement>();
  private _selectionChanged = new Signal<this, RunRef[]>(this);
  private _projectSelect!: HTMLSelectElement;
  private _search!: HTMLInputElement;
  private _stateSelect!: HTMLSelectElement;
  private _tagInput!: HTMLInputElement;
  private _groupToggle!: HTMLInputElement;
  private _compareButton!: HTMLButtonElement;
  private _selectionLabel!: HTMLElement;
  private _error!: HTMLElement;
  private _columnsButton!: HTMLButtonElement;
  private _picker!: HTMLElement;
  private _details!: HTMLElement;
  private _list!: HTMLElement;
  private _resize!: ResizeObserver;
  private _table!: HTMLTableElement;
  private _thead!: HTMLTableSectionElement;
  private _tbody!: HTMLTableSectionElement;
  private _empty!: HTMLElement;
  private _prev!: HTMLButtonElement;
  private _next!: HTMLButtonElement;
  private _range!: HTMLElement;
}

function button(text: string, className: string, title: string): HTMLButtonElement {
  const node = el('button', `jp-TrackSidebar-button ${className}`, text);
  node.type = 'button';
  node.title = title;
  return node;
}

function cssName(id: string): string {
  return id.startsWith('summary.') ? 'metric' : id.replace(/[^a-zA-Z0-9_-]/g, '_');
}
