/**
 * The run detail panel (main area): overview, config, summary, charts of every metric (live while the run is
 * running), system charts, media, tables and notebook snapshots of one run.
 *
 * Live updates ask only for what is new: `changes?since=` for the run's state and `metrics?after=<last step>`
 * per group of keys; a whole history is read once, when the panel (or a finished run) loads.
 * Everything that comes from the store goes into the DOM as text (textContent), never as HTML.
 */
import { CommandRegistry } from '@lumino/commands';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { LineChart, MetricPayload, Series, formatNumber, groupByPrefix, mergeIncrement } from './charts';
import { CommandIDs } from './commandIds';
import { configText, filterEntries, flattenConfig, formatBytes, incrementRequests } from './detailData';
import { el } from './dom';
import { formatDateTime, formatDuration } from './format';
import { blobUrl, requestAPI, runPath } from './request';
import { RunDetail } from './types';

import '../style/detail.css';

const INITIAL_POINTS = 1000; // points per chart on load (downsampled server-side)
const KEEP_POINTS = 2000; // a live chart is thinned back to about this many points when it doubles
const MEDIA_ITEMS = 500; // newest media items of a key loaded for the step slider
const TABLE_ROWS = 50;
const SYSTEM = 'system/';

interface ChartState {
  chart: LineChart;
  series: Series;
  last: number | null;
}

type Tab = 'overview' | 'config' | 'summary' | 'charts' | 'system' | 'media' | 'tables' | 'snapshots';
const TABS: [Tab, string][] = [
  ['overview', 'Overview'],
  ['config', 'Config'],
  ['summary', 'Summary'],
  ['charts', 'Charts'],
  ['system', 'System'],
  ['media', 'Media'],
  ['tables', 'Tables'],
  ['snapshots', 'Snapshots']
];

function button(label: string, cls: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', `jp-Button jt-detail-button ${cls}`, label);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}

/** A DOM-safe widget id for a run. */
export function panelId(project: string, runId: string): string {
  return `jupyter-track-run-detail-${project}-${runId}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The detail panel of one run; the open-run command (commands.ts) opens it in the main area. */
export class RunDetailPanel extends Widget {
  readonly project: string;
  readonly runId: string;
  private readonly pollInterval: number;
  private readonly commands: CommandRegistry;
  private readonly head = el('div', 'jt-detail-head');
  private readonly tabBar = el('div', 'jt-detail-tabs');
  private readonly body = el('div', 'jt-detail-body');
  private readonly sections = new Map<Tab, HTMLElement>();
  private readonly charts = new Map<string, ChartState>();
  private detail: RunDetail | null = null;
  private active: Tab = 'overview';
  private loaded = new Set<Tab>(); // lazily filled tabs (media, tables) already loaded for this detail
  private timer: number | null = null;
  private cursor: number | null = null; // GET changes cursor
  private generation = 0; // a refresh invalidates the ticks of the previous one
  private polling = false;

  constructor(options: { project: string; runId: string; pollInterval: number; commands: CommandRegistry }) {
    super();
    this.project = options.project;
    this.runId = options.runId;
    this.pollInterval = Math.max(250, options.pollInterval || 2000);
    this.commands = options.commands;
    this.id = panelId(this.project, this.runId);
    this.addClass('jt-detail');
    this.title.label = this.runId;
    this.title.caption = `${this.project}/${this.runId}`;
    this.title.closable = true;
    for (const [tab, label] of TABS) {
      const b = el('button', 'jt-detail-tab', label);
      b.type = 'button';
      b.dataset.tab = tab;
      b.addEventListener('click', () => this.showTab(tab));
      this.tabBar.append(b);
      const section = el('div', 'jt-detail-section');
      section.dataset.section = tab;
      this.sections.set(tab, section);
      this.body.append(section);
    }
    this.node.append(this.head, this.tabBar, this.body);
    this.node.dataset.project = this.project;
    this.node.dataset.runId = this.runId;
    this.showTab('overview');
    void this.refresh();
  }

  /** Read the run again and redraw everything (charts from their whole, downsampled histories). */
  async refresh(): Promise<void> {
    const generation = ++this.generation;
    this.stopPolling();
    let detail: RunDetail;
    try {
      detail = await requestAPI<RunDetail>(runPath(this));
    } catch (error) {
      if (generation === this.generation) {
        this.showError(error);
      }
      return;
    }
    if (this.isDisposed || generation !== this.generation) {
      return;
    }
    this.detail = detail;
    this.loaded.clear();
    this.title.label = detail.name || detail.id;
    this.node.dataset.state = detail.state;
    this.renderHead();
    this.renderOverview();
    this.renderConfig();
    this.renderSummary();
    this.renderSnapshots();
    this.tabBar.querySelectorAll<HTMLButtonElement>('.jt-detail-tab').forEach(b => {
      const tab = b.dataset.tab as Tab;
      const counts: Partial<Record<Tab, number>> = {
        charts: detail.keys.scalars.length,
        system: detail.keys.system.length,
        media: this.mediaKeys().length,
        tables: this.tableKeys().length,
        snapshots: detail.snapshots.length
      };
      b.hidden = counts[tab] === 0;
    });
    await this.loadCharts(generation);
    if (this.isDisposed || generation !== this.generation) {
      return;
    }
    this.showTab(this.active);
    if (detail.state === 'running') {
      this.startPolling(generation);
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.stopPolling();
    this.generation++;
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this.polling && this.timer === null) {
      this.schedule(this.generation, 0); // came back into view: catch up now
    }
  }

  // -- structure -------------------------------------------------------------------------------------------
  private showTab(tab: Tab): void {
    this.active = tab;
    for (const [name, section] of this.sections) {
      section.hidden = name !== tab;
    }
    this.tabBar.querySelectorAll<HTMLButtonElement>('.jt-detail-tab').forEach(b => {
      b.classList.toggle('jt-mod-active', b.dataset.tab === tab);
    });
    if (this.detail && !this.loaded.has(tab)) {
      if (tab === 'media') {
        this.loaded.add(tab);
        void this.loadMedia();
      } else if (tab === 'tables') {
        this.loaded.add(tab);
        void this.loadTables();
      }
    }
  }

  private showError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.head.replaceChildren(el('div', 'jt-detail-error', `Could not load run ${this.project}/${this.runId}: ${message}`));
    this.node.dataset.error = message;
  }

  private run(command: string, extra: Record<string, unknown> = {}): Promise<unknown> {
    return this.commands.execute(command, { project: this.project, runId: this.runId, ...extra });
  }

  private commandButton(label: string, command: string, after?: () => void): HTMLButtonElement {
    const b = button(label, '', () => {
      void this.run(command).then(
        () => after?.(),
        error => this.flash(String(error))
      );
    });
    b.dataset.command = command;
    b.disabled = !this.commands.hasCommand(command);
    return b;
  }

  private flash(message: string): void {
    const note = el('div', 'jt-detail-error', message);
    this.head.append(note);
    window.setTimeout(() => note.remove(), 8000);
  }

  // -- header and overview ---------------------------------------------------------------------------------
  private renderHead(): void {
    const d = this.detail!;
    const title = el('div', 'jt-detail-title');
    const name = el('h2', 'jt-detail-name', d.name || d.id);
    const badge = el('span', 'jt-state', d.state);
    badge.dataset.state = d.state;
    title.append(name, badge, el('code', 'jt-detail-id', `${d.project}/${d.id}`));
    const tools = el('div', 'jt-detail-tools');
    tools.append(
      button('Refresh', 'jt-refresh', () => void this.refresh()),
      this.commandButton('Open notebook', CommandIDs.openSourceNotebook),
      this.commandButton('Copy id', CommandIDs.copyRunId),
      this.commandButton('Edit…', CommandIDs.editRun, () => void this.refresh()),
      this.commandButton('Delete…', CommandIDs.deleteRun, () => void this.refresh())
    );
    this.head.replaceChildren(title, tools);
    delete this.node.dataset.error;
  }

  private renderOverview(): void {
    const d = this.detail!;
    const meta = d.meta || {};
    const section = this.sections.get('overview')!;
    const facts = el('dl', 'jt-facts');
    const fact = (label: string, value: string | Node, key?: string) => {
      const dt = el('dt', '', label);
      const dd = el('dd');
      dd.dataset.fact = key ?? label.toLowerCase();
      dd.append(value);
      facts.append(dt, dd);
      return dd;
    };
    const state = el('span', 'jt-state', d.state);
    state.dataset.state = d.state;
    fact('State', state);
    fact('Started', formatDateTime(d.created_at));
    fact('Finished', d.state === 'running' ? 'still running' : formatDateTime(d.finished_at ?? d.updated_at));
    fact('Duration', formatDuration(d.duration), 'duration');
    if (d.last_step !== null && d.last_step !== undefined) {
      fact('Last step', String(d.last_step), 'last-step');
    }
    if (d.group) {
      fact('Group', d.group);
    }
    if (d.job_type) {
      fact('Job type', d.job_type, 'job-type');
    }
    if (d.tags?.length) {
      const tags = el('span');
      d.tags.forEach(t => tags.append(el('span', 'jt-tag', t)));
      fact('Tags', tags);
    }
    if (d.notes) {
      fact('Notes', el('span', 'jt-notes', d.notes));
    }
    const notebook = d.notebook ?? meta.notebook?.path ?? null;
    if (notebook) {
      const link = el('a', 'jt-notebook-link', notebook);
      link.href = '#';
      link.title = 'Open the notebook this run was started from';
      link.addEventListener('click', ev => {
        ev.preventDefault();
        void this.run(CommandIDs.openSourceNotebook).catch(error => this.flash(String(error)));
      });
      fact('Notebook', link);
    }
    const git = meta.git;
    if (git && typeof git === 'object') {
      const box = el('div', 'jt-git');
      const commit = typeof git.commit === 'string' ? git.commit : null;
      box.append(el('code', 'jt-git-commit', commit ? commit.slice(0, 12) : 'no commit yet'));
      if (git.branch) {
        box.append(el('span', 'jt-git-branch', ` on ${git.branch}`));
      }
      const dirty = el('span', 'jt-git-dirty', git.dirty ? 'uncommitted changes' : git.dirty === false ? 'clean' : '');
      dirty.dataset.dirty = String(Boolean(git.dirty));
      box.append(dirty);
      if (git.remote) {
        box.append(el('div', 'jt-git-remote', String(git.remote)));
      }
      if (typeof git.diff_sha256 === 'string') {
        const diff = el('details', 'jt-git-diff');
        const summary = el('summary', '', `diff against HEAD (${formatBytes(git.diff_bytes)})`);
        const pre = el('pre', 'jt-diff');
        diff.append(summary, pre);
        diff.addEventListener('toggle', () => {
          if (diff.open && !pre.dataset.loaded) {
            pre.dataset.loaded = 'loading';
            pre.textContent = 'loading…';
            requestAPI<unknown>(`blobs/${git.diff_sha256}`).then(
              text => {
                pre.textContent = typeof text === 'string' ? text : JSON.stringify(text, null, 1);
                pre.dataset.loaded = 'true';
              },
              error => {
                pre.textContent = `could not load the diff: ${error instanceof Error ? error.message : error}`;
                delete pre.dataset.loaded;
              }
            );
          }
        });
        box.append(diff);
      }
      fact('Git', box);
    }
    const host = d.host ?? meta.platform?.hostname;
    if (host) {
      fact('Host', `${host}${d.pid ? ` (pid ${d.pid})` : ''}`);
    }
    if (meta.platform?.os) {
      fact('Platform', String(meta.platform.os));
    }
    const hw = meta.hardware;
    if (hw) {
      const parts = [hw.cpu_model, hw.cpu_count ? `${hw.cpu_count} CPUs` : '', hw.memory_total_gb ? `${hw.memory_total_gb} GB RAM` : ''];
      fact('Hardware', parts.filter(Boolean).join(' · '));
    }
    const gpus: any[] = Array.isArray(meta.gpus) ? meta.gpus : [];
    if (meta.gpus !== undefined) {
      fact(
        'GPU',
        gpus.length
          ? gpus.map(g => `${g.name ?? 'GPU'}${g.memory_total_mb ? ` (${Math.round(g.memory_total_mb / 1024)} GB)` : ''}`).join(', ') +
              (meta.gpu_driver ? ` · driver ${meta.gpu_driver}` : '')
          : 'none'
      );
    }
    if (meta.python?.version) {
      fact('Python', `${meta.python.version} ${meta.python.implementation ?? ''}`.trim());
    }
    if (meta.frameworks && Object.keys(meta.frameworks).length) {
      fact('Frameworks', Object.entries(meta.frameworks).map(([k, v]) => `${k} ${configText(v)}`).join(', '));
    }
    if (meta.packages && typeof meta.packages === 'object') {
      const entries = Object.entries(meta.packages as Record<string, string>);
      const box = el('details', 'jt-packages');
      box.append(el('summary', '', `${entries.length} packages`));
      const list = el('ul', 'jt-package-list');
      for (const [name, version] of entries) {
        list.append(el('li', '', `${name}==${version}`));
      }
      box.append(list);
      fact('Packages', box);
    }
    if (d.files?.length) {
      const list = el('ul', 'jt-files');
      d.files.forEach(f => list.append(el('li', '', `${f.name} (${formatBytes(f.size)})`)));
      fact('Files', list);
    }
    if (Array.isArray(meta.errors) && meta.errors.length) {
      fact('Capture errors', el('span', 'jt-detail-warn', meta.errors.join('; ')), 'capture-errors');
    }
    if (d.exit_code !== null && d.exit_code !== undefined && d.exit_code !== 0) {
      fact('Exit code', String(d.exit_code), 'exit-code');
    }
    section.replaceChildren(facts);
  }

  // -- config and summary ----------------------------------------------------------------------------------
  private renderConfig(): void {
    const entries = flattenConfig(this.detail!.config || {});
    const section = this.sections.get('config')!;
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

  private renderSummary(): void {
    const d = this.detail!;
    const section = this.sections.get('summary')!;
    const table = el('table', 'jt-kv');
    const head = el('tr');
    ['key', 'last', 'min', 'max', 'points'].forEach(h => head.append(el('th', 'jt-kv-head', h)));
    table.append(head);
    for (const [key, value] of Object.entries(d.summary || {})) {
      if (key.startsWith(SYSTEM)) {
        continue;
      }
      const stats = d.summary_stats?.[key];
      const tr = el('tr');
      tr.dataset.key = key;
      const shown =
        value !== null && typeof value === 'object' && '_type' in (value as object)
          ? `(${(value as { _type: string })._type})`
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

  // -- charts ----------------------------------------------------------------------------------------------
  private async loadCharts(generation: number): Promise<void> {
    const d = this.detail!;
    this.charts.clear();
    const charts = this.sections.get('charts')!;
    const system = this.sections.get('system')!;
    charts.replaceChildren();
    system.replaceChildren();
    const build = (host: HTMLElement, keys: string[], grouped: boolean) => {
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
          this.charts.set(key, { chart, series: { steps: [], values: [] }, last: null });
        }
        group.append(grid);
        host.append(group);
      }
    };
    build(charts, d.keys.scalars, true);
    build(system, d.keys.system, false);
    if (!d.keys.scalars.length) {
      charts.append(el('p', 'jt-empty', 'This run logged no scalar metrics.'));
    }
    await Promise.all(
      [d.keys.scalars, d.keys.system]
        .filter(keys => keys.length)
        .map(keys => this.fetchMetrics(keys, null, generation, INITIAL_POINTS))
    );
  }

  /** Fetch `keys` (all points, or those after `after`) and merge them into their charts. */
  private async fetchMetrics(keys: string[], after: number | null, generation: number, points = INITIAL_POINTS) {
    let answer: { metrics: Record<string, MetricPayload> };
    try {
      answer = await requestAPI(runPath(this, '/metrics'), {
        query: { key: keys, points, after: after === null ? undefined : after }
      });
    } catch (error) {
      if (after === null) {
        this.flash(`Could not load metrics: ${error instanceof Error ? error.message : error}`);
      }
      return;
    }
    if (this.isDisposed || generation !== this.generation) {
      return;
    }
    for (const [key, m] of Object.entries(answer.metrics)) {
      const state = this.charts.get(key);
      if (!state) {
        continue;
      }
      const more: Series = { steps: m.steps ?? [], values: m.values ?? [] };
      const before = state.series.steps.length;
      state.series = after === null && !before ? more : mergeIncrement(state.series, more, KEEP_POINTS);
      if (typeof m.last_step === 'number') {
        state.last = state.last === null ? m.last_step : Math.max(state.last, m.last_step);
      }
      if (after === null || state.series.steps.length !== before) {
        state.chart.setLines([{ name: key, color: 'var(--jp-brand-color1)', ...state.series }]);
        state.chart.node.dataset.count = String(m.count ?? state.series.steps.length);
      }
    }
  }

  // -- live polling ----------------------------------------------------------------------------------------
  private startPolling(generation: number): void {
    this.polling = true;
    this.node.dataset.live = 'true';
    this.schedule(generation, this.pollInterval);
  }

  private stopPolling(): void {
    this.polling = false;
    delete this.node.dataset.live;
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private schedule(generation: number, delay: number): void {
    if (this.timer !== null) {
      window.clearTimeout(this.timer);
    }
    this.timer = window.setTimeout(() => {
      this.timer = null;
      if (!this.polling || this.isDisposed || generation !== this.generation) {
        return;
      }
      if (!this.isVisible || document.hidden) {
        return; // paused while hidden; onAfterShow catches up
      }
      void this.tick(generation).finally(() => {
        if (this.polling && generation === this.generation) {
          this.schedule(generation, this.pollInterval);
        }
      });
    }, delay);
  }

  /** One live update: the run's row (state, summary) since the cursor, then each chart's new points. */
  private async tick(generation: number): Promise<void> {
    const d = this.detail!;
    let row: Partial<RunDetail> | undefined;
    try {
      const changes = await requestAPI<{ runs: Partial<RunDetail>[]; cursor: number }>('changes', {
        query: { project: this.project, since: this.cursor ?? undefined }
      });
      if (this.cursor !== null) {
        row = changes.runs.find(r => r.id === this.runId);
      }
      this.cursor = changes.cursor;
    } catch {
      return; // the server may be restarting: the next tick tries again
    }
    if (generation !== this.generation || this.isDisposed) {
      return;
    }
    // a key logged for the first time since the panel loaded: a new chart, read from its start
    for (const [key, value] of Object.entries(row?.summary ?? {})) {
      if (typeof value === 'number' && !this.charts.has(key) && !key.startsWith(SYSTEM)) {
        d.keys.scalars.push(key);
        const host = this.sections.get('charts')!;
        let grid = host.querySelector<HTMLElement>('.jt-lc-group[data-prefix="__new"] .jt-lc-grid');
        if (!grid) {
          const group = el('div', 'jt-lc-group');
          group.dataset.prefix = '__new';
          group.append(el('h3', 'jt-lc-group-title', 'new since opened'));
          grid = el('div', 'jt-lc-grid');
          group.append(grid);
          host.append(group);
        }
        const chart = new LineChart({ title: key });
        grid.append(chart.node);
        this.charts.set(key, { chart, series: { steps: [], values: [] }, last: null });
      }
    }
    const lastSteps = new Map([...this.charts].map(([key, s]) => [key, s.last]));
    await Promise.all(
      incrementRequests(lastSteps).map(r => this.fetchMetrics(r.keys, r.after, generation, INITIAL_POINTS))
    );
    if (row && generation === this.generation) {
      if (typeof row.duration === 'number') {
        const dd = this.sections.get('overview')!.querySelector('[data-fact="duration"]');
        if (dd) {
          dd.textContent = formatDuration(row.duration);
        }
      }
      if (row.state && row.state !== 'running') {
        void this.refresh(); // finished, failed or crashed: read it all once more and stop polling
      }
    }
  }

  // -- media -----------------------------------------------------------------------------------------------
  private kindOf(key: string): string {
    const v = this.detail?.summary?.[key] as any;
    if (Array.isArray(v)) {
      return 'images';
    }
    return v && typeof v === 'object' && typeof v._type === 'string' ? v._type : 'other';
  }

  private mediaKeys(): string[] {
    return (this.detail?.keys.media ?? []).filter(k => this.kindOf(k) !== 'table');
  }

  private tableKeys(): string[] {
    return (this.detail?.keys.media ?? []).filter(k => this.kindOf(k) === 'table');
  }

  private async loadMedia(): Promise<void> {
    this.fillSection('media', this.mediaKeys(), 'jt-media', 'jt-media-content', (key, content) =>
      this.fillMedia(key, content)
    );
  }

  /** One titled box per key in section `id`, each filled (asynchronously) by `fill`. */
  private fillSection(
    id: Tab,
    keys: string[],
    boxClass: string,
    contentClass: string,
    fill: (key: string, content: HTMLElement) => Promise<void>
  ): void {
    const section = this.sections.get(id)!;
    section.replaceChildren();
    for (const key of keys) {
      const box = el('div', boxClass);
      box.dataset.key = key;
      box.append(el('h3', 'jt-media-title', key));
      const content = el('div', contentClass, 'loading…');
      box.append(content);
      section.append(box);
      void fill(key, content);
    }
  }

  private async fillMedia(key: string, content: HTMLElement): Promise<void> {
    type Item = { step: number; kind: string; data: any };
    let items: Item[];
    try {
      let page = await requestAPI<{ total: number; items: Item[] }>(runPath(this, '/media'), {
        query: { key, limit: MEDIA_ITEMS }
      });
      if (page.total > page.items.length) {
        page = await requestAPI(runPath(this, '/media'), {
          query: { key, limit: MEDIA_ITEMS, offset: page.total - MEDIA_ITEMS }
        });
      }
      items = page.items;
    } catch (error) {
      content.textContent = `could not load: ${error instanceof Error ? error.message : error}`;
      return;
    }
    if (!items.length) {
      content.textContent = 'nothing logged';
      return;
    }
    const images = items.every(i => i.kind === 'image' || i.kind === 'images');
    const view = el('div', images ? 'jt-image-grid' : 'jt-media-value');
    const label = el('span', 'jt-media-step');
    const showAt = (index: number) => {
      const item = items[index];
      label.textContent = `step ${item.step}${items.length > 1 ? ` (${index + 1} of ${items.length})` : ''}`;
      if (images) {
        const list: any[] = Array.isArray(item.data) ? item.data : [item.data];
        view.replaceChildren(...list.map(img => this.imageCell(img, 'jt-image')));
      } else {
        view.replaceChildren(this.valueCell(item.kind, item.data));
      }
    };
    const controls = el('div', 'jt-media-controls');
    if (items.length > 1) {
      const slider = el('input', 'jt-step-slider');
      slider.type = 'range';
      slider.min = '0';
      slider.max = String(items.length - 1);
      slider.value = String(items.length - 1);
      slider.addEventListener('input', () => showAt(Number(slider.value)));
      controls.append(slider);
    }
    controls.append(label);
    content.replaceChildren(controls, view);
    showAt(items.length - 1); // the latest by default
  }

  /** An image (thumbnail linking to the full one) with its caption, from a logged image's data. */
  private imageCell(img: any, cls: string): HTMLElement {
    const figure = el('figure', cls);
    const src = img?.thumb_url ?? img?.url;
    if (typeof src === 'string') {
      const link = el('a');
      link.href = blobUrl(img.url ?? src);
      link.target = '_blank';
      link.rel = 'noopener';
      const image = el('img');
      image.src = blobUrl(src);
      image.alt = typeof img.caption === 'string' ? img.caption : 'logged image';
      image.loading = 'lazy';
      link.append(image);
      figure.append(link);
    }
    if (img?.caption) {
      figure.append(el('figcaption', '', String(img.caption)));
    }
    return figure;
  }

  /** Any other logged value (histogram, html, plotly, text, …) as a short text preview. */
  private valueCell(kind: string, data: unknown): HTMLElement {
    const box = el('div', 'jt-value');
    box.append(el('span', 'jt-value-kind', kind));
    if (data && typeof data === 'object' && typeof (data as any).url === 'string') {
      const link = el('a', '', 'open');
      link.href = blobUrl((data as any).url);
      link.target = '_blank';
      link.rel = 'noopener';
      box.append(' ', link);
    }
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    box.append(el('pre', 'jt-value-text', text.length > 2000 ? `${text.slice(0, 2000)}…` : text));
    return box;
  }

  // -- tables ----------------------------------------------------------------------------------------------
  private async loadTables(): Promise<void> {
    this.fillSection('tables', this.tableKeys(), 'jt-table-box', 'jt-table-content', (key, content) =>
      this.fillTable(key, content, undefined)
    );
  }

  private async fillTable(key: string, content: HTMLElement, step: number | undefined): Promise<void> {
    type Page = { step: number; steps: number[]; columns: string[]; column_types: string[] | null; nrows: number; rows: unknown[][] };
    let page: Page;
    try {
      page = await requestAPI<Page>(runPath(this, '/table'), { query: { key, step, page: 0, page_size: TABLE_ROWS } });
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
      select.addEventListener('change', () => void this.fillTable(key, content, Number(select.value)));
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
          td.append(this.imageCell(c, 'jt-table-image'));
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

  // -- snapshots -------------------------------------------------------------------------------------------
  private renderSnapshots(): void {
    const d = this.detail!;
    const section = this.sections.get('snapshots')!;
    const list = el('table', 'jt-snapshots');
    const explain: Record<string, string> = {
      executed: 'the code the kernel ran, in order',
      saved: 'the .ipynb file on disk',
      live: 'the notebook open in JupyterLab, unsaved edits included',
      script: 'the script that ran'
    };
    for (const snap of d.snapshots) {
      const tr = el('tr', 'jt-snapshot');
      tr.dataset.which = snap.which;
      tr.dataset.at = snap.at;
      const restore = button('Restore', 'jt-restore', () => {
        restore.disabled = true;
        void this.run(CommandIDs.restoreSnapshot, { which: snap.which, at: snap.at })
          .catch(error => this.flash(String(error)))
          .finally(() => {
            restore.disabled = false;
          });
      });
      restore.disabled = !this.commands.hasCommand(CommandIDs.restoreSnapshot);
      tr.append(
        el('td', 'jt-snapshot-which', snap.which),
        el('td', '', `at ${snap.at}`),
        el('td', 'jt-snapshot-note', explain[snap.which] ?? ''),
        el('td', '', formatBytes(snap.size)),
        el('td', '', '')
      );
      tr.lastElementChild!.append(restore);
      list.append(tr);
    }
    section.replaceChildren(d.snapshots.length ? list : el('p', 'jt-empty', 'No notebook snapshots stored with this run.'));
  }
}
