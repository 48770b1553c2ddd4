/**
 * The "Runs" sidebar: a project's runs, paged, sorted and filtered on the server, kept live by polling the
 * `changes` cursor (only changed rows are redrawn; histories are never fetched here).
 */
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from './commandIds';
import { el } from './dom';
import { baseName, formatDateTime, formatDuration, formatTime, formatValue } from './format';
import { runsIcon } from './icons';
import {
  ViewState,
  groupItems,
  initialView,
  mergeChanges,
  metricColumns,
  nextSelection,
  pageLabel,
  pageOffset,
  parseTags,
  runsQuery,
  toggleSort
} from './logic';
import { requestAPI } from './request';
import { ChangesAnswer, ProjectInfo, RUN_STATES, RunRef, RunRow, RunsPage } from './types';

/** The sidebar's id: also its tab's `data-id` (`li[data-id="jupyter-track-sidebar"]`). */
export const SIDEBAR_ID = 'jupyter-track-sidebar';

/** What the sidebar reads from the extension's settings. */
export interface SidebarSettings {
  pollInterval: number; // ms between two `changes` polls while the sidebar is visible
  metricColumns: string[]; // summary keys shown as columns (empty: the first keys the runs have)
  pageSize: number; // runs per page
}

interface Column {
  id: string; // `state`, `name`, ..., or `summary.<key>`
  label: string;
  sort: string | null; // the server's sort column, null when it cannot sort by it
  title?: string;
}

export class RunsSidebar extends Widget {
  constructor(options: { commands: CommandRegistry; settings: SidebarSettings }) {
    super();
    this._commands = options.commands;
    this._settings = { ...options.settings };
    this.id = SIDEBAR_ID;
    this.addClass('jp-TrackSidebar');
    this.title.icon = runsIcon;
    this.title.caption = 'Experiment runs (jupyter_track)';
    this._view = initialView('', this._settings.pageSize);
    this._build();
  }

  /** Emitted when the selection changes (commands' enabled state follows it). */
  get selectionChanged(): ISignal<this, RunRef[]> {
    return this._selectionChanged;
  }

  /** The project shown ('' before the projects are loaded). */
  get project(): string {
    return this._view.project;
  }

  /** The runs shown, in display order. */
  get rows(): readonly RunRow[] {
    return this._rows;
  }

  /** The selected runs (in display order). */
  selectedRuns(): RunRef[] {
    return this._rows
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
    this._view = { ...this._view, limit: settings.pageSize, offset: 0 };
    if (reload && this._view.project) {
      void this.reload();
    }
    this._schedule();
  }

  /** Show another project (first page, filters kept). */
  async setProject(project: string): Promise<void> {
    this._view = { ...this._view, project, offset: 0 };
    this._projectSelect.value = project;
    this._selected = [];
    this._cursor = null; // a cursor is per project
    await this.reload();
  }

  /** Read the projects, then the page shown, from the server. */
  async refresh(): Promise<void> {
    await this._loadProjects();
    await this.reload();
  }

  /** Read the page shown again (after a filter, sort, page or delete). */
  async reload(): Promise<void> {
    if (!this._view.project) {
      this._setRows([], 0);
      return;
    }
    const view = this._view;
    const token = ++this._loadToken;
    try {
      const page = await requestAPI<RunsPage>('runs', { query: runsQuery(view) });
      if (token !== this._loadToken) {
        return; // a newer request answers for a newer view
      }
      this._cursor = this._cursor === null ? page.cursor : Math.min(this._cursor, page.cursor);
      this._offPage.clear();
      this._setRows(page.runs, page.total);
      this._showError('');
    } catch (error) {
      if (token === this._loadToken) {
        this._showError(String((error as Error).message ?? error));
      }
    }
  }

  /** One `changes` poll: replace changed rows, reload the page when a run that may belong in it appeared. */
  async poll(): Promise<void> {
    if (!this._view.project) {
      await this._loadProjects();
      if (this._view.project) {
        await this.reload();
      }
      return;
    }
    const since = this._cursor;
    const answer = await requestAPI<ChangesAnswer>('changes', {
      query: { project: this._view.project, since: since ?? undefined }
    });
    this._cursor = answer.cursor;
    if (since === null) {
      return; // the first answer only gives a cursor
    }
    const merged = mergeChanges(this._rows, answer.runs, this._view, this._offPage);
    if (merged.reload || answer.truncated) {
      const before = new Set(this._rows.map(r => r.id));
      await this.reload();
      const shown = new Set(this._rows.map(r => r.id));
      for (const row of answer.runs) {
        if (!shown.has(row.id) && !before.has(row.id)) {
          this._offPage.add(row.id); // on another page: no reload for it until the view changes
        }
      }
      await this._refreshProjectCounts();
      return;
    }
    if (merged.updated.length > 0) {
      this._rows = merged.rows;
      const columns = this._makeColumns();
      if (columns.map(c => c.id).join('\n') !== this._columns.map(c => c.id).join('\n')) {
        // a run's first metrics arrived: the default metric columns change, so the whole table is redrawn
        this._columns = columns;
        this._renderHead();
        this._renderBody();
        return;
      }
      for (const id of merged.updated) {
        this._redrawRow(id);
      }
    }
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (!this._started) {
      this._started = true;
      void this.refresh();
    }
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.reload(); // catch up on what happened while hidden
    this._schedule();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._stopPolling(); // hidden: no requests
  }

  protected onBeforeDetach(msg: Message): void {
    this._stopPolling();
    super.onBeforeDetach(msg);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stopPolling();
    Signal.clearData(this);
    super.dispose();
  }

  // -- polling ---------------------------------------------------------------------------------------------
  private _schedule(): void {
    this._stopPolling();
    if (this.isDisposed || !this.isVisible) {
      return;
    }
    const interval = Math.max(250, this._settings.pollInterval);
    this._timer = window.setTimeout(async () => {
      this._timer = null;
      if (this.isDisposed || !this.isVisible) {
        return;
      }
      try {
        await this.poll();
        this._showError('');
      } catch (error) {
        this._showError(`live updates paused: ${String((error as Error).message ?? error)}`);
      }
      this._schedule();
    }, interval);
  }

  private _stopPolling(): void {
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
      this._timer = null;
    }
  }

  // -- data -----------------------------------------------------------------------------------------------
  private async _loadProjects(): Promise<void> {
    let projects: ProjectInfo[];
    try {
      projects = await requestAPI<ProjectInfo[]>('projects');
    } catch (error) {
      this._showError(String((error as Error).message ?? error));
      return;
    }
    this._projects = projects;
    this._renderProjects();
    if (!this._view.project || !projects.some(p => p.name === this._view.project)) {
      this._view = { ...this._view, project: projects.length > 0 ? projects[0].name : '', offset: 0 };
      this._projectSelect.value = this._view.project;
      this._cursor = null;
    }
  }

  private async _refreshProjectCounts(): Promise<void> {
    try {
      this._projects = await requestAPI<ProjectInfo[]>('projects');
      this._renderProjects();
    } catch {
      // the counts in the picker are a convenience; the next poll tries again
    }
  }

  private _setView(view: ViewState): void {
    this._view = view;
    this._offPage.clear();
    void this.reload();
  }

  private _setRows(rows: RunRow[], total: number): void {
    this._rows = rows;
    this._total = total;
    const ids = new Set(rows.map(r => r.id));
    const kept = this._selected.filter(id => ids.has(id));
    if (kept.length !== this._selected.length) {
      this._selected = kept;
      this._selectionChanged.emit(this.selectedRuns());
    }
    this._columns = this._makeColumns();
    this._renderHead();
    this._renderBody();
    this._renderFooter();
  }

  private _makeColumns(): Column[] {
    const metrics = metricColumns(this._settings.metricColumns, this._rows, 3);
    // the metrics first after the name: in a narrow sidebar they are what one compares at a glance
    const columns: Column[] = [
      { id: 'state', label: '', sort: 'state', title: 'State' },
      { id: 'name', label: 'Name', sort: 'name' }
    ];
    for (const key of metrics) {
      columns.push({ id: `summary.${key}`, label: key, sort: `summary.${key}`, title: `summary: ${key}` });
    }
    columns.push(
      { id: 'created_at', label: 'Started', sort: 'created_at' },
      { id: 'duration', label: 'Duration', sort: null },
      { id: 'notebook', label: 'Notebook', sort: null }
    );
    if (!this._byGroup) {
      columns.push({ id: 'group', label: 'Group', sort: 'group' });
    }
    return columns;
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
    header.append(title, this._projectSelect, refresh);

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
        this._setView({ ...this._view, search: this._search.value, offset: 0 });
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
      this._setView({ ...this._view, states: state ? [state] : [], offset: 0 });
    });
    this._tagInput = el('input', 'jp-TrackSidebar-tag');
    this._tagInput.type = 'text';
    this._tagInput.placeholder = 'tags';
    this._tagInput.title = 'Only runs with every one of these tags (comma separated)';
    this._tagInput.addEventListener('change', () =>
      this._setView({ ...this._view, tags: parseTags(this._tagInput.value), offset: 0 })
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

    const footer = el('div', 'jp-TrackSidebar-footer');
    this._prev = button('‹', 'jp-TrackSidebar-prev', 'Previous page');
    this._next = button('›', 'jp-TrackSidebar-next', 'Next page');
    this._range = el('span', 'jp-TrackSidebar-range');
    this._prev.addEventListener('click', () =>
      this._setView({ ...this._view, offset: pageOffset(this._view, this._total, -1) })
    );
    this._next.addEventListener('click', () =>
      this._setView({ ...this._view, offset: pageOffset(this._view, this._total, 1) })
    );
    footer.append(this._prev, this._range, this._next);

    node.append(header, filters, actions, this._error, list, footer);
  }

  private _renderProjects(): void {
    const select = this._projectSelect;
    select.textContent = '';
    for (const project of this._projects) {
      const option = el('option', '', `${project.name} (${project.runs})`);
      option.value = project.name;
      select.appendChild(option);
    }
    if (this._projects.length === 0) {
      const option = el('option', '', 'no projects yet');
      option.value = '';
      select.appendChild(option);
    }
    select.value = this._view.project;
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
        if (this._view.sort === column.sort) {
          th.classList.add('jp-mod-sorted');
          th.appendChild(el('span', 'jp-TrackSidebar-sortArrow', this._view.order === 'asc' ? ' ▲' : ' ▼'));
          th.setAttribute('aria-sort', this._view.order === 'asc' ? 'ascending' : 'descending');
        }
        const sort = column.sort;
        th.addEventListener('click', () => this._setView(toggleSort(this._view, sort)));
      }
      row.appendChild(th);
    }
    this._thead.textContent = '';
    this._thead.appendChild(row);
  }

  private _renderBody(): void {
    this._tbody.textContent = '';
    this._rowNodes.clear();
    for (const item of groupItems(this._rows, this._byGroup)) {
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
      this._rows.length > 0
        ? ''
        : this._view.project
          ? 'No runs match.'
          : 'No runs yet: call jt.init() in a notebook and its run appears here.';
    this._empty.hidden = this._rows.length > 0;
    this._renderSelection();
  }

  private _renderFooter(): void {
    this._range.textContent = pageLabel(this._view.offset, this._rows.length, this._total);
    this._prev.disabled = this._view.offset <= 0;
    this._next.disabled = this._view.offset + this._rows.length >= this._total;
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
    const run = this._rows.find(r => r.id === id);
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
    const ids = groupItems(this._rows, this._byGroup)
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

  private _showError(message: string): void {
    this._error.textContent = message;
    this._error.hidden = !message;
  }

  private _commands: CommandRegistry;
  private _settings: SidebarSettings;
  private _view: ViewState;
  private _projects: ProjectInfo[] = [];
  private _rows: RunRow[] = [];
  private _total = 0;
  private _columns: Column[] = [];
  private _cursor: number | null = null;
  private _offPage = new Set<string>();
  private _selected: string[] = [];
  private _anchor: string | null = null;
  private _contextRun: RunRef | null = null;
  private _byGroup = false;
  private _started = false;
  private _timer: number | null = null;
  private _searchTimer: number | null = null;
  private _loadToken = 0;
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
