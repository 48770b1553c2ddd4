/** The detail panel's data helpers (src/detail/data.ts) and the compare panel's model shim (src/compareModel.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CompareModel, curvesMessage } from '../src/compareModel';
import { CompareAnswer } from '../src/tokens';
import {
  alongAxis,
  configText,
  filterEntries,
  flattenConfig,
  formatBytes,
  incrementRequests,
  mediaAndTableKeys,
  describeMedium,
  mediaKind,
  newScalarKeys,
  stepMetricFor
} from '../src/detail/data';
import { histogramBars, isHistogram, ridges } from '../src/detail/histogram';

test('flattenConfig dots nested keys and keeps lists as values', () => {
  assert.deepEqual(flattenConfig({ lr: 0.1, model: { depth: 3, act: { name: 'relu' } }, sizes: [1, 2], empty: {} }), [
    ['lr', 0.1],
    ['model.depth', 3],
    ['model.act.name', 'relu'],
    ['sizes', [1, 2]],
    ['empty', {}]
  ]);
  assert.deepEqual(flattenConfig(null), []);
});

test('filterEntries matches every word in keys or values, ignoring case', () => {
  const entries = flattenConfig({ lr: 0.1, model: { depth: 3, name: 'ResNet' }, optimizer: 'adam' });
  assert.deepEqual(filterEntries(entries, 'model').map(e => e[0]), ['model.depth', 'model.name']);
  assert.deepEqual(filterEntries(entries, 'resnet').map(e => e[0]), ['model.name']);
  assert.deepEqual(filterEntries(entries, 'model 3').map(e => e[0]), ['model.depth']);
  assert.equal(filterEntries(entries, '  ').length, 4);
  assert.equal(filterEntries(entries, 'nothing-like-this').length, 0);
});

test('configText and formatBytes', () => {
  assert.equal(configText(null), 'null');
  assert.equal(configText(0.1 + 0.2), '0.3');
  assert.equal(configText([1, 'a']), '[1,"a"]');
  assert.equal(configText('<img src=x>'), '<img src=x>'); // text, shown with textContent
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(12_345), '12.3 kB');
});

test('incrementRequests groups keys by their last step, so a sparse key never drags a dense one back', () => {
  const requests = incrementRequests(
    new Map<string, number | null>([
      ['loss', 1000],
      ['acc', 1000],
      ['final_lr', 0],
      ['system/cpu', 41],
      ['new', null]
    ])
  );
  assert.deepEqual(requests, [
    { after: 1000, keys: ['loss', 'acc'] },
    { after: 0, keys: ['final_lr'] },
    { after: 41, keys: ['system/cpu'] },
    { after: null, keys: ['new'] }
  ]);
});

const ANSWER: CompareAnswer = {
  metrics: ['loss', 'acc'],
  group_by: '',
  columns: [{ name: 'lr', kind: 'config', type: 'num' }],
  rows: [[0.1], [0.01]],
  runs: [
    { id: 'a', name: 'A', color: '#111', group: '', project: 'p', path: 'p/a', run_group: null },
    { id: 'b', name: 'B', color: '#222', group: '', project: 'p', path: 'p/b', run_group: null }
  ],
  total_runs: 2,
  bands: {},
  importance: {},
  importance_metric: 'loss',
  curves: [
    [
      [[0, 1, 2], [3, null, 1]],
      [[0, 5], [4, 2]]
    ],
    [null, [[1], [0.5]]]
  ]
};

test('curvesMessage packs curves like the kernel does: steps then values per curve, null as NaN', () => {
  const { content, buffer } = curvesMessage(ANSWER);
  assert.deepEqual(content.index, [
    [0, 0, 3],
    [0, 1, 2],
    [1, 1, 1]
  ]);
  const all = Array.from(new Float32Array(buffer));
  assert.deepEqual(all.slice(0, 6).map(v => (Number.isNaN(v) ? 'gap' : v)), [0, 1, 2, 3, 'gap', 1]);
  assert.deepEqual(all.slice(6), [0, 5, 4, 2, 1, 0.5]);
});

test('CompareModel answers the view: get, change events, saved changes and the curves message', async () => {
  const saved: string[][] = [];
  const model = new CompareModel(ANSWER, (_m, changed) => saved.push(changed));
  assert.deepEqual(model.get('metrics'), ['loss', 'acc']);
  const seen: unknown[] = [];
  const onChange = (v: unknown) => seen.push(v);
  model.on('change:importance', onChange);
  model.update({ importance: { loss: { rows: [] } } });
  model.off('change:importance', onChange);
  model.update({ importance: {} });
  assert.deepEqual(seen, [{ loss: { rows: [] } }]);
  model.set('importance_metric', 'acc');
  model.save_changes();
  model.save_changes(); // nothing changed since
  assert.deepEqual(saved, [['importance_metric']]);
  const message = new Promise<unknown[]>(resolve => model.on('msg:custom', (...args: unknown[]) => resolve(args)));
  model.send({ type: 'curves' });
  const [content, buffers] = (await message) as [{ type: string }, ArrayBuffer[]];
  assert.equal(content.type, 'curves');
  assert.equal(buffers[0].byteLength, 4 * 12);
});

test('a live run\'s new chart keys: numeric summary values without a chart, system keys left to the System tab', () => {
  const charted = new Set(['loss']);
  assert.deepEqual(
    newScalarKeys({ loss: 0.1, acc: 0.9, 'system/cpu': 12, note: 'text', samples: { _type: 'image' }, lr: 0.01 }, charted),
    ['acc', 'lr']
  );
  assert.deepEqual(newScalarKeys(undefined, charted), []);
});

test('logged non-scalar keys go to the Media tab, tables to the Tables tab', () => {
  assert.equal(mediaKind([{ _type: 'image' }]), 'images');
  assert.equal(mediaKind({ _type: 'table' }), 'table');
  assert.equal(mediaKind('text'), 'other');
  assert.equal(mediaKind(null), 'other');
  const detail = {
    keys: { media: ['samples', 'preds', 'hist', 'gone'] },
    summary: { samples: [{ _type: 'image' }], preds: { _type: 'table' }, hist: { _type: 'histogram' } }
  };
  assert.deepEqual(mediaAndTableKeys(detail), { media: ['samples', 'hist', 'gone'], tables: ['preds'] });
});

test('stepMetricFor resolves define_metric: exact name first, then the latest glob; never the metric itself', () => {
  const metrics = {
    'val/loss': { summary: 'min' },
    'train/global_step': {},
    '*': { step_metric: 'train/global_step' },
    'val/*': { step_metric: 'epoch' },
    'acc[0-9]': { step_metric: 'batch' },
    'exact': { step_metric: 'epoch' }
  };
  assert.equal(stepMetricFor('exact', metrics), 'epoch');
  assert.equal(stepMetricFor('val/acc', metrics), 'epoch'); // the later glob of the two that match
  assert.equal(stepMetricFor('train/loss', metrics), 'train/global_step');
  assert.equal(stepMetricFor('train/global_step', metrics), null); // "*" covers it: still drawn by step
  assert.equal(stepMetricFor('val/loss', metrics), null); // its exact definition names no step metric
  assert.equal(stepMetricFor('acc7', metrics), 'batch');
  assert.equal(stepMetricFor('loss', undefined), null);
  assert.equal(stepMetricFor('a.b', { 'a?b': { step_metric: 'x' } }), 'x');
  assert.equal(stepMetricFor('a.b', { 'a.c*': { step_metric: 'x' } }), null);
});

test('alongAxis joins the axis key as of each step and leaves out points before its first value', () => {
  const loss = { steps: [0, 1, 2, 3, 4], values: [5, 4, null, 2, 1] };
  const epoch = { steps: [1, 3], values: [0, 1] };
  assert.deepEqual(alongAxis(loss, epoch), { steps: [0, 0, 1, 1], values: [4, null, 2, 1] });
  assert.deepEqual(alongAxis(loss, { steps: [], values: [] }), { steps: [], values: [] });
});

test('a histogram is drawn as bars over its bin edges, the tallest filling the height', () => {
  const data = { bins: [0, 1, 2, 4], values: [2, 4, 0] };
  assert.equal(isHistogram(data), true);
  const bars = histogramBars(data, 100, 50);
  assert.deepEqual(
    bars.map(b => [b.x, b.width, b.y, b.height]),
    [
      [0, 25, 25, 25],
      [25, 25, 0, 50],
      [50, 50, 50, 0] // the wider bin keeps its width; an empty bin has no height
    ]
  );
  assert.deepEqual(bars.map(b => [b.from, b.to, b.count]), [[0, 1, 2], [1, 2, 4], [2, 4, 0]]);
  // every value equal (a zero span): even widths; all counts zero: no heights
  assert.deepEqual(histogramBars({ bins: [3, 3, 3], values: [0, 0] }, 10, 10).map(b => [b.x, b.width, b.height]), [
    [0, 5, 0],
    [5, 5, 0]
  ]);
  assert.equal(isHistogram({ bins: [0, 1], values: [1, 2] }), false); // edges must be one more than counts
  assert.equal(isHistogram({ _type: 'text' }), false);
});

test('ridges: one per step, densities comparable across binnings, at most `max` spread evenly with the newest', () => {
  const items = [
    { step: 0, data: { bins: [0, 1, 2], values: [2, 6] } },
    { step: 5, data: { bins: [0, 2], values: [4] } } // one wide bin: density 2 per unit
  ];
  assert.deepEqual(ridges(items), [
    { step: 0, points: [[0, 0], [0.5, 2 / 6], [1.5, 1], [2, 0]] },
    { step: 5, points: [[0, 0], [1, 2 / 6], [2, 0]] }
  ]);
  const many = Array.from({ length: 100 }, (_, step) => ({ step, data: { bins: [0, 1], values: [1] } }));
  const steps = ridges(many, 10).map(r => r.step);
  assert.equal(steps.length, 10);
  assert.equal(steps[0], 0);
  assert.equal(steps[9], 99);
  assert.deepEqual([...steps].sort((a, b) => a - b), steps);
  assert.deepEqual(ridges([{ step: 1, data: { bins: [0, 1], values: [0] } }])[0].points, [[0, 0], [0.5, 0], [1, 0]]);
});

test('a summary medium reads as one line: a histogram by its bins and range, others by their kind', () => {
  assert.equal(describeMedium({ _type: 'histogram', bins: [-2, 0, 1, 3.5], values: [1, 2, 3] }),
    'histogram: 3 bins over [-2, 3.5]');
  assert.equal(describeMedium({ _type: 'histogram' }), 'histogram'); // a live summary holds only the kind
  assert.equal(describeMedium({ _type: 'table', nrows: 3 }), 'table');
});
