/**
 * The sidebar's logic without DOM or JupyterLab: the query a view asks for, sort toggling, merging a
 * `changes` answer into the rows shown, multi-selection and grouping. Unit-tested with `node --test`.
 */
import { formatCount } from './format';
import { RunRow } from './tokens';

/** Sort columns the server knows besides `summary.<key>` (GET runs?sort=). */
export const SORT_COLUMNS = ['created_at', 'name', 'state', 'updated_at', 'finished_at', 'group', 'last_step'];

/** What the run list shows: one project's runs, filtered, sorted and paged on the server. */
export interface ViewState {
  project: string;
  sort: string; // a column of SORT_COLUMNS or `summary.<key>`
  order: 'asc' | 'desc';
  offset: number;
  limit: number;
  search: string;
  states: string[]; // empty: every state
  tags: string[]; // each required
}

/** The first view of a project: newest runs first. */
export function initialView(project: string, limit: number): ViewState {
  return { project, sort: 'created_at', order: 'desc', offset: 0, limit, search: '', states: [], tags: [] };
}

/** The query string values of `GET runs` for a view (empty filters left out). */
export function runsQuery(view: ViewState): Record<string, string | number | string[] | undefined> {
  const search = view.search.trim();
  const tags = view.tags.map(t => t.trim()).filter(t => t.length > 0);
  return {
    project: view.project,
    sort: view.sort,
    order: view.order,
    limit: view.limit,
    offset: view.offset,
    q: search.length > 0 ? search : undefined,
    state: view.states.length > 0 ? view.states.join(',') : undefined,
    tag: tags.length > 0 ? tags : undefined
  };
}

/**
 * The view after clicking a column header: the same column flips the order; a new column starts with the
 * order a user expects first (names A→Z, times and metrics highest first). Back to the first page.
 */
export function toggleSort(view: ViewState, column: string): ViewState {
  if (view.sort === column) {
    return { ...view, order: view.order === 'asc' ? 'desc' : 'asc', offset: 0 };
  }
  const ascending = column === 'name' || column === 'state' || column === 'group';
  return { ...view, sort: column, order: ascending ? 'asc' : 'desc', offset: 0 };
}

/** `1–50 of 10,000` (an en dash); `0 runs` when there are none. */
export function pageLabel(offset: number, shown: number, total: number): string {
  if (total <= 0 || shown <= 0) {
    return total <= 0 ? '0 runs' : `0 of ${formatCount(total)}`;
  }
  return `${formatCount(offset + 1)}–${formatCount(offset + shown)} of ${formatCount(total)}`;
}

/** The offset of the next (`+1`) or previous (`-1`) page, kept inside `[0, total)`. */
export function pageOffset(view: ViewState, total: number, direction: 1 | -1): number {
  const next = view.offset + direction * view.limit;
  if (next < 0) {
    return 0;
  }
  return next >= total ? view.offset : next;
}

/** Whether a changed row still belongs in a view by the filters the client can check (state and tags). */
export function rowMatches(row: RunRow, view: ViewState): boolean {
  if (view.project && row.project !== view.project) {
    return false;
  }
  if (view.states.length > 0 && !view.states.includes(row.state)) {
    return false;
  }
  return view.tags.every(tag => row.tags.includes(tag.trim()));
}

/** What merging a `changes` answer into the page changed. */
export interface MergeResult {
  rows: RunRow[]; // the page with changed rows replaced in place (same order)
  updated: string[]; // ids of rows whose content changed: only these are redrawn
  reload: boolean; // a run the page does not show may belong in it (a new run, or one that left the filter)
}

/**
 * Merge changed rows into the page shown. Rows on the page are replaced by id (content compared, so the
 * always-reported running runs redraw only when something changed). A changed run not on the page asks for a
 * reload of the page once: `offPage` remembers the ids a reload already showed to be elsewhere (another page),
 * so a running run on page 2 does not reload page 1 at every poll.
 */
export function mergeChanges(
  rows: RunRow[],
  changed: RunRow[],
  view: ViewState,
  offPage: Set<string>
): MergeResult {
  const index = new Map(rows.map((r, i) => [r.id, i] as [string, number]));
  const next = rows.slice();
  const updated: string[] = [];
  let reload = false;
  for (const row of changed) {
    const at = index.get(row.id);
    if (at === undefined) {
      if (!offPage.has(row.id) && rowMatches(row, view)) {
        reload = true;
      }
      continue;
    }
    if (!sameRow(next[at], row)) {
      next[at] = row;
      updated.push(row.id);
      if (!rowMatches(row, view)) {
        reload = true; // e.g. a "running" filter and the run finished
      }
    }
  }
  return { rows: next, updated, reload };
}

/** Two rows show the same thing (the list's fields; the notebook path a page read may omit is kept). */
export function sameRow(a: RunRow, b: RunRow): boolean {
  return JSON.stringify({ ...a, notebook: null }) === JSON.stringify({ ...b, notebook: null }) &&
    (a.notebook === b.notebook || b.notebook === null);
}

/** Whether a summary value can be a metric column: a number, a boolean or a short text (never a logged medium). */
export function isColumnValue(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'boolean' || (typeof value === 'string' && value.length <= 80);
}

/** Per summary key, how many of `rows` have a column value for it; keys in the order they first appear. */
export function summaryKeyCounts(rows: readonly RunRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) {
    for (const [key, value] of Object.entries(row.summary)) {
      if (isColumnValue(value)) {
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
  }
  return counts;
}

/** The keys of `summaryKeyCounts`, most common first (a stable sort: ties keep their first-appearance order). */
export function rankedKeys(counts: Map<string, number>): string[] {
  return [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)!);
}

/**
 * The default metric columns: the keys most of `rows` have (ties: the order they first appear). `previous`, the
 * defaults shown so far for this project, are kept while some row still has them, so a new run with other keys
 * never replaces a column; new keys only fill free places (up to `n`).
 */
export function defaultMetricColumns(rows: readonly RunRow[], previous: readonly string[], n = 3): string[] {
  const counts = summaryKeyCounts(rows);
  const kept = previous.filter(key => counts.has(key)).slice(0, n);
  for (const key of rankedKeys(counts)) {
    if (kept.length >= n) {
      break;
    }
    if (!kept.includes(key)) {
      kept.push(key);
    }
  }
  return kept;
}

/**
 * Summary keys for the metric columns: the user's choice for this project (`chosen`, null when none), else the
 * configured ones (settings), else the defaults (`defaultMetricColumns`).
 */
export function metricColumns(
  configured: string[],
  rows: readonly RunRow[],
  n = 3,
  chosen: readonly string[] | null = null,
  previous: readonly string[] = []
): string[] {
  if (chosen !== null) {
    return [...chosen];
  }
  const set = configured.map(c => c.trim()).filter(c => c.length > 0);
  if (set.length > 0) {
    return set;
  }
  return defaultMetricColumns(rows, previous, n);
}

/** A column of the run list as the layout sees it: how wide it must be at least, and how important it is. */
export interface ColumnFit {
  id: string;
  width: number; // px it needs at least
  priority: number; // lower: kept longer as the panel narrows
}

/**
 * The ids of the columns to hide so that the others fit in `available` px: columns are kept by priority (then
 * in their order) while they fit; the rest collapse, least important first. The first column is always kept.
 */
export function collapsedColumns(columns: readonly ColumnFit[], available: number): string[] {
  const order = columns
    .map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.priority - b.c.priority || a.i - b.i);
  let used = 0;
  const hidden: string[] = [];
  let full = false;
  for (const [rank, { c }] of order.entries()) {
    // once one column does not fit, the less important ones stay hidden too (no gaps in the priority order)
    if (rank > 0 && (full || used + c.width > available)) {
      full = true;
      hidden.push(c.id);
      continue;
    }
    used += c.width;
  }
  return columns.filter(c => hidden.includes(c.id)).map(c => c.id);
}

/** A stored choice of metric columns (localStorage text) as a list of keys, or null when absent or unreadable. */
export function parseColumnChoice(text: string | null): string[] | null {
  if (!text) {
    return null;
  }
  try {
    const value = JSON.parse(text);
    return Array.isArray(value) && value.every(v => typeof v === 'string') ? value : null;
  } catch {
    return null;
  }
}

/** The localStorage key of a project's chosen metric columns. */
export function columnChoiceKey(project: string): string {
  return `jupyter-track:sidebar-columns:${project}`;
}

/** Modifier keys of a click on a row. */
export interface ClickKeys {
  toggle: boolean; // ctrl (or cmd on macOS)
  range: boolean; // shift
}

/**
 * The selection after a click on `clicked` (ids in display order): a plain click selects only it, ctrl/cmd
 * toggles it, shift selects the range from the anchor (the last plainly or ctrl-clicked row).
 */
export function nextSelection(
  selected: string[],
  ids: string[],
  clicked: string,
  keys: ClickKeys,
  anchor: string | null
): { selected: string[]; anchor: string | null } {
  if (keys.range && anchor !== null && ids.includes(anchor) && ids.includes(clicked)) {
    const a = ids.indexOf(anchor);
    const b = ids.indexOf(clicked);
    const range = ids.slice(Math.min(a, b), Math.max(a, b) + 1);
    const merged = keys.toggle ? [...selected.filter(id => !range.includes(id)), ...range] : range;
    return { selected: merged, anchor };
  }
  if (keys.toggle) {
    const present = selected.includes(clicked);
    return {
      selected: present ? selected.filter(id => id !== clicked) : [...selected, clicked],
      anchor: clicked
    };
  }
  return { selected: [clicked], anchor: clicked };
}

/** A line of the run list: a group's header or a run. */
export type ListItem = { kind: 'group'; group: string; count: number } | { kind: 'run'; row: RunRow };

/** The label of runs that belong to no group. */
export const NO_GROUP = '(no group)';

/**
 * The rows as list items: unchanged without grouping; with it, runs of the same group together under a
 * header, groups in the order their first run appears, runs without a group last.
 */
export function groupItems(rows: readonly RunRow[], byGroup: boolean): ListItem[] {
  if (!byGroup) {
    return rows.map(row => ({ kind: 'run', row }) as ListItem);
  }
  const groups = new Map<string, RunRow[]>();
  for (const row of rows) {
    const key = row.group ? row.group : NO_GROUP;
    const list = groups.get(key) ?? [];
    list.push(row);
    groups.set(key, list);
  }
  const names = [...groups.keys()].filter(g => g !== NO_GROUP);
  if (groups.has(NO_GROUP)) {
    names.push(NO_GROUP);
  }
  const items: ListItem[] = [];
  for (const name of names) {
    const members = groups.get(name)!;
    items.push({ kind: 'group', group: name, count: members.length });
    for (const row of members) {
      items.push({ kind: 'run', row });
    }
  }
  return items;
}

/** Tags typed in a text box: `a, b ,,c` → `['a', 'b', 'c']` (no duplicates). */
export function parseTags(text: string): string[] {
  const tags = text
    .split(',')
    .map(t => t.trim())
    .filter(t => t.length > 0);
  return [...new Set(tags)];
}

/** The snapshot a plain "Restore notebook snapshot" uses: the code as executed, else the live notebook, else the
 * saved file; null when the run has none. */
export function defaultSnapshot(available: { which: string }[]): string | null {
  for (const which of ['executed', 'live', 'saved']) {
    if (available.some(s => s.which === which)) {
      return which;
    }
  }
  return null;
}

/**
 * A run's notebook path as a path inside the Jupyter server's root, or why it is not one. `serverRoot` is the
 * server's root folder (absolute; PageConfig `serverRoot`), possibly with `~` unexpanded.
 */
export function notebookInRoot(
  path: string | null | undefined,
  serverRoot: string
): { path: string } | { error: string } {
  if (!path) {
    return { error: 'the run recorded no notebook path' };
  }
  const clean = path.replace(/\\/g, '/');
  const absolute = clean.startsWith('/') || /^[A-Za-z]:\//.test(clean);
  if (!absolute) {
    if (clean.split('/').includes('..')) {
      return { error: `${path} is outside the Jupyter server's root` };
    }
    return { path: clean.replace(/^\.\//, '') };
  }
  const root = serverRoot.replace(/\\/g, '/').replace(/\/+$/, '');
  if (root && (clean === root || clean.startsWith(root + '/'))) {
    return { path: clean.slice(root.length + 1) };
  }
  return { error: `${path} is outside the Jupyter server's root (${serverRoot || 'unknown'})` };
}

/** How long after a kernel was last busy its notebook is still asked about: the run's notebook facts are
 * written by a capture thread a moment after `jt.init()`, possibly after the cell finished. */
export const RECENT_BUSY_MS = 15000;

/** What the kernel-run tracker knows of one open notebook. */
export interface KernelWatch {
  kernelId: string | null; // the notebook's kernel now (null: none)
  askedKernel: string | null; // the kernel it was last asked about
  busyNow: boolean; // the kernel is busy (or starting) now
  busyAt: number; // when it was last seen turning busy (ms, 0: never)
  hasRun: boolean; // the last answer named a running run
}

/**
 * Whether to ask `GET kernels/<id>/run` about a notebook: it has a kernel, and that kernel is new to the tracker,
 * busy now or in the last 15 s, or was running a run at the last answer. An idle lab asks about none of them.
 */
export function shouldAskKernel(watch: KernelWatch, now: number): boolean {
  if (!watch.kernelId) {
    return false;
  }
  return (
    watch.kernelId !== watch.askedKernel ||
    watch.busyNow ||
    now - watch.busyAt < RECENT_BUSY_MS ||
    watch.hasRun
  );
}

/** What the delete dialog says and sends. */
export interface DeletePrompt {
  title: string;
  body: string;
  accept: string; // the label of the button that deletes
  force: boolean; // send `?force=1` (the server refuses to delete a running run without it)
}

/** The delete dialog of a run: a plain one, or, for a run still running, one that says what its process loses. */
export function deletePrompt(label: string, ref: { project: string; runId: string }, running: boolean): DeletePrompt {
  const what = `"${label}" (${ref.project}/${ref.runId})`;
  if (!running) {
    return {
      title: 'Delete run?',
      body: `Delete run ${what} and all it logged? This cannot be undone.`,
      accept: 'Delete',
      force: false
    };
  }
  return {
    title: 'Delete a running run?',
    body:
      `Run ${what} is still running. Deleting it removes all it logged so far, and its process will lose ` +
      'what it logs from then on. This cannot be undone.',
    accept: 'Delete anyway',
    force: true
  };
}

/** Whether an API error is the server refusing to delete a running run (409 `{"running": true}`). */
export function isRunningConflict(status: number, body: { running?: unknown } | null | undefined): boolean {
  return status === 409 && body?.running === true;
}
