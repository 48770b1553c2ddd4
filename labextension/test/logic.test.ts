import { test } from 'node:test';
import assert from 'node:assert/strict';

import {
  KernelWatch,
  RECENT_BUSY_MS,
  defaultSnapshot,
  deletePrompt,
  groupItems,
  isRunningConflict,
  initialView,
  mergeChanges,
  metricColumns,
  collapsedColumns,
  defaultMetricColumns,
  parseColumnChoice,
  summaryKeyCounts,
  nextSelection,
  notebookInRoot,
  pageLabel,
  pageOffset,
  parseTags,
  runsQuery,
  shouldAskKernel,
  toggleSort
} from '../src/logic';
import { RunRow } from '../src/tokens';

function run(id: string, extra: Partial<RunRow> = {}): RunRow {
  return {
    id,
    name: `run-${id}`,
    state: 'running',
    project: 'p',
    group: null,
    job_type: null,
    tags: [],
    notes: null,
    created_at: 1000,
    updated_at: 1000,
    duration: 1,
    last_step: 0,
    sweep_id: null,
    notebook: null,
    alerts: null,
    summary: {},
    ...extra
  };
}

test('the runs query carries sort, paging and only the filters that are set', () => {
  const view = initialView('proj', 50);
  assert.deepEqual(runsQuery(view), {
    project: 'proj',
    sort: 'created_at',
    order: 'desc',
    limit: 50,
    offset: 0,
    q: undefined,
    state: undefined,
    tag: undefined
  });
  const filtered = { ...view, search: '  lr ', states: ['running', 'failed'], tags: ['a', ' ', 'b'], offset: 100 };
  const query = runsQuery(filtered);
  assert.equal(query.q, 'lr');
  assert.equal(query.state, 'running,failed');
  assert.deepEqual(query.tag, ['a', 'b']);
  assert.equal(query.offset, 100);
});

test('clicking a header sorts by it; clicking again flips the order; both go back to page 1', () => {
  const view = { ...initialView('p', 50), offset: 150 };
  const byLoss = toggleSort(view, 'summary.loss');
  assert.equal(byLoss.sort, 'summary.loss');
  assert.equal(byLoss.order, 'desc');
  assert.equal(byLoss.offset, 0);
  assert.equal(toggleSort(byLoss, 'summary.loss').order, 'asc');
  assert.equal(toggleSort(view, 'name').order, 'asc');
  assert.equal(toggleSort(view, 'created_at').order, 'asc'); // already sorted desc by it
});

test('page labels and page offsets', () => {
  assert.equal(pageLabel(0, 50, 10000), '1–50 of 10,000');
  assert.equal(pageLabel(9950, 50, 10000), '9,951–10,000 of 10,000');
  assert.equal(pageLabel(0, 0, 0), '0 runs');
  const view = initialView('p', 50);
  assert.equal(pageOffset(view, 120, 1), 50);
  assert.equal(pageOffset({ ...view, offset: 100 }, 120, 1), 100); // no page after the last
  assert.equal(pageOffset({ ...view, offset: 20 }, 120, -1), 0);
});

test('changes replace rows on the page by id and redraw only those whose content changed', () => {
  const view = initialView('p', 50);
  const rows = [run('a'), run('b', { state: 'finished' }), run('c')];
  const changed = [run('a', { last_step: 5, updated_at: 1001 }), run('c')]; // c is reported but unchanged
  const merged = mergeChanges(rows, changed, view, new Set());
  assert.deepEqual(merged.updated, ['a']);
  assert.equal(merged.rows[0].last_step, 5);
  assert.equal(merged.rows[1], rows[1]);
  assert.equal(merged.reload, false);
  assert.deepEqual(rows.map(r => r.id), merged.rows.map(r => r.id));
});

test('a new run asks for a reload once; a run known to be on another page does not', () => {
  const view = initialView('p', 50);
  const rows = [run('a')];
  assert.equal(mergeChanges(rows, [run('new')], view, new Set()).reload, true);
  assert.equal(mergeChanges(rows, [run('new')], view, new Set(['new'])).reload, false);
  // a run of another project or outside the state filter never reloads
  assert.equal(mergeChanges(rows, [run('x', { project: 'q' })], view, new Set()).reload, false);
  const finishedOnly = { ...view, states: ['finished'] };
  assert.equal(mergeChanges(rows, [run('y', { state: 'running' })], finishedOnly, new Set()).reload, false);
});

test('a row that leaves the filter (a running run finished under a "running" filter) reloads the page', () => {
  const view = { ...initialView('p', 50), states: ['running'] };
  const merged = mergeChanges([run('a')], [run('a', { state: 'finished' })], view, new Set());
  assert.deepEqual(merged.updated, ['a']);
  assert.equal(merged.reload, true);
});

test('a change without the notebook path keeps the one the page read', () => {
  const rows = [run('a', { notebook: 'x.ipynb' })];
  const merged = mergeChanges(rows, [run('a', { notebook: null })], initialView('p', 50), new Set());
  assert.deepEqual(merged.updated, []);
});

test('metric columns: the configured ones, else the keys most rows have', () => {
  const rows = [run('a', { summary: { loss: 1, acc: 0.5 } }), run('b', { summary: { lr: 1, loss: 2, f1: 3 } })];
  assert.deepEqual(metricColumns([], rows, 3), ['loss', 'acc', 'lr']);
  assert.deepEqual(metricColumns(['val/acc', ' '], rows, 3), ['val/acc']);
  assert.deepEqual(metricColumns([], [], 3), []);
});

test('default metric columns: the most common keys, never a logged medium', () => {
  const hist = { _type: 'histogram', bins: [0, 1], values: [3] };
  const rows = [
    run('a', { summary: { f1: 1, acc: 0.5, grads: hist } }),
    run('b', { summary: { loss: 1, acc: 0.4, grads: hist } }),
    run('c', { summary: { loss: 2, acc: 0.3, note: 'ok' } })
  ];
  assert.deepEqual([...summaryKeyCounts(rows)], [['f1', 1], ['acc', 3], ['loss', 2], ['note', 1]]);
  // acc (3 runs), loss (2), then f1 and note tie at 1: the first to appear wins
  assert.deepEqual(defaultMetricColumns(rows, [], 3), ['acc', 'loss', 'f1']);
  assert.deepEqual(defaultMetricColumns(rows, [], 1), ['acc']);
});

test('default metric columns do not change when runs with other keys arrive', () => {
  const rows = [run('a', { summary: { loss: 1, acc: 0.5, lr: 1 } }), run('b', { summary: { loss: 2, acc: 0.1, lr: 2 } })];
  const shown = defaultMetricColumns(rows, [], 3);
  assert.deepEqual(shown, ['loss', 'acc', 'lr']);
  // newest first: two new runs whose keys all differ, enough of them to outnumber lr
  const more = [
    run('c', { summary: { bleu: 1, ppl: 2 } }),
    run('d', { summary: { bleu: 1, ppl: 3 } }),
    run('e', { summary: { bleu: 1, ppl: 3 } }),
    ...rows
  ];
  assert.deepEqual(defaultMetricColumns(more, shown, 3), ['loss', 'acc', 'lr']);
  // without what was shown, the most common keys win
  assert.deepEqual(defaultMetricColumns(more, [], 3), ['bleu', 'ppl', 'loss']);
  // a shown key no row has any more leaves its place to the next most common one
  assert.deepEqual(defaultMetricColumns(more.slice(0, 3), shown, 3), ['bleu', 'ppl']);
  // free places are filled (a run's first metrics arrive after its row)
  assert.deepEqual(defaultMetricColumns(rows, ['loss'], 3), ['loss', 'acc', 'lr']);
});

test("metric columns: the user's choice for the project, else the settings, else the defaults", () => {
  const rows = [run('a', { summary: { loss: 1, acc: 0.5 } })];
  assert.deepEqual(metricColumns(['acc'], rows, 3, ['loss']), ['loss']);
  assert.deepEqual(metricColumns(['acc'], rows, 3, null), ['acc']);
  assert.deepEqual(metricColumns([], rows, 3, null, ['acc']), ['acc', 'loss']);
  assert.deepEqual(metricColumns([], rows, 3, []), []); // the user chose no metric column at all
  assert.deepEqual(parseColumnChoice('["a","b"]'), ['a', 'b']);
  assert.equal(parseColumnChoice('{"a": 1}'), null);
  assert.equal(parseColumnChoice('not json'), null);
  assert.equal(parseColumnChoice(null), null);
});

test('columns collapse by priority as the panel narrows, least important first', () => {
  const columns = [
    { id: 'state', width: 20, priority: 0 },
    { id: 'name', width: 100, priority: 1 },
    { id: 'm1', width: 60, priority: 2 },
    { id: 'm2', width: 60, priority: 3 },
    { id: 'started', width: 70, priority: 10 },
    { id: 'notebook', width: 90, priority: 12 },
    { id: 'duration', width: 60, priority: 11 }
  ];
  assert.deepEqual(collapsedColumns(columns, 1000), []);
  assert.deepEqual(collapsedColumns(columns, 380), ['notebook']);
  // duration would fit in 300 px, but the more important started did not: no gaps in the priority order
  assert.deepEqual(collapsedColumns(columns, 300), ['started', 'notebook', 'duration']);
  assert.deepEqual(collapsedColumns(columns, 200), ['m2', 'started', 'notebook', 'duration']);
  assert.deepEqual(collapsedColumns(columns, 10), ['name', 'm1', 'm2', 'started', 'notebook', 'duration']);
});

test('selection: plain click, ctrl toggles, shift selects a range from the anchor', () => {
  const ids = ['a', 'b', 'c', 'd', 'e'];
  let s = nextSelection([], ids, 'b', { toggle: false, range: false }, null);
  assert.deepEqual(s, { selected: ['b'], anchor: 'b' });
  s = nextSelection(s.selected, ids, 'd', { toggle: false, range: true }, s.anchor);
  assert.deepEqual(s.selected, ['b', 'c', 'd']);
  s = nextSelection(s.selected, ids, 'c', { toggle: true, range: false }, s.anchor);
  assert.deepEqual(s.selected, ['b', 'd']);
  s = nextSelection(s.selected, ids, 'a', { toggle: true, range: false }, s.anchor);
  assert.deepEqual(s.selected, ['b', 'd', 'a']);
  s = nextSelection(s.selected, ids, 'e', { toggle: false, range: false }, s.anchor);
  assert.deepEqual(s.selected, ['e']);
});

test('grouping puts runs of a group together, groups in first-seen order, ungrouped last', () => {
  const rows = [run('1', { group: 'g2' }), run('2'), run('3', { group: 'g1' }), run('4', { group: 'g2' })];
  const items = groupItems(rows, true).map(i => (i.kind === 'group' ? `[${i.group}:${i.count}]` : i.row.id));
  assert.deepEqual(items, ['[g2:2]', '1', '4', '[g1:1]', '3', '[(no group):1]', '2']);
  assert.deepEqual(groupItems(rows, false).map(i => (i.kind === 'run' ? i.row.id : '')), ['1', '2', '3', '4']);
});

test('tags typed in a box', () => {
  assert.deepEqual(parseTags(' a, b ,,c, a'), ['a', 'b', 'c']);
  assert.deepEqual(parseTags(''), []);
});

test('the default snapshot to restore: executed, else live, else saved', () => {
  assert.equal(defaultSnapshot([{ which: 'saved' }, { which: 'executed' }]), 'executed');
  assert.equal(defaultSnapshot([{ which: 'saved' }, { which: 'live' }]), 'live');
  assert.equal(defaultSnapshot([{ which: 'saved' }]), 'saved');
  assert.equal(defaultSnapshot([]), null);
});

test('notebook paths inside and outside the server root', () => {
  assert.deepEqual(notebookInRoot('exp/train.ipynb', '/home/u'), { path: 'exp/train.ipynb' });
  assert.deepEqual(notebookInRoot('/home/u/exp/train.ipynb', '/home/u/'), { path: 'exp/train.ipynb' });
  assert.ok('error' in notebookInRoot('/home/other/train.ipynb', '/home/u'));
  assert.ok('error' in notebookInRoot('/home/user2/x.ipynb', '/home/u')); // a prefix is not a parent
  assert.ok('error' in notebookInRoot('../secret.ipynb', '/home/u'));
  assert.ok('error' in notebookInRoot(null, '/home/u'));
});

test('a notebook is asked about while its kernel is new, busy, lately busy or running a run; an idle one never', () => {
  const now = 1_000_000;
  const idle: KernelWatch = { kernelId: 'k1', askedKernel: 'k1', busyNow: false, busyAt: 0, hasRun: false };
  assert.equal(shouldAskKernel(idle, now), false);
  assert.equal(shouldAskKernel({ ...idle, askedKernel: null }, now), true); // a kernel not asked about yet
  assert.equal(shouldAskKernel({ ...idle, askedKernel: 'k0' }, now), true); // restarted on another kernel
  assert.equal(shouldAskKernel({ ...idle, busyNow: true }, now), true); // a long cell: busy since long ago
  assert.equal(shouldAskKernel({ ...idle, busyAt: now - RECENT_BUSY_MS + 1 }, now), true);
  assert.equal(shouldAskKernel({ ...idle, busyAt: now - RECENT_BUSY_MS }, now), false);
  assert.equal(shouldAskKernel({ ...idle, hasRun: true }, now), true);
  // no kernel: nothing to ask, whatever else is known
  assert.equal(shouldAskKernel({ ...idle, kernelId: null, busyNow: true, hasRun: true }, now), false);
});

test('deleting a running run asks with its own words and button and sends force', () => {
  const ref = { project: 'p', runId: 'abc' };
  const plain = deletePrompt('my run', ref, false);
  assert.deepEqual(plain, {
    title: 'Delete run?',
    body: 'Delete run "my run" (p/abc) and all it logged? This cannot be undone.',
    accept: 'Delete',
    force: false
  });
  const running = deletePrompt('my run', ref, true);
  assert.equal(running.force, true);
  assert.equal(running.accept, 'Delete anyway');
  assert.match(running.body, /"my run" \(p\/abc\) is still running/);
  assert.match(running.body, /its process will lose what it logs from then on/);
});

test('only a 409 that says the run is running asks to force the delete', () => {
  assert.equal(isRunningConflict(409, { running: true }), true);
  assert.equal(isRunningConflict(409, { running: false }), false);
  assert.equal(isRunningConflict(409, null), false); // another conflict
  assert.equal(isRunningConflict(404, { running: true }), false);
});
