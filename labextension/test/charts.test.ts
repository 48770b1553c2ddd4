/** Chart math: extents, gaps, smoothing, thinning and merging live increments (src/charts.ts), and the shared
 * axes' ticks (static/chart_core.js) the detail panel's charts are drawn with. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { niceTicks, tickText } from '../../jupyter_track/widgets/static/chart_core.js';
import { ema, extent, formatNumber, groupByPrefix, mergeIncrement, segments, thin } from '../src/charts';

test('extent skips null, NaN and infinities, and widens a flat range', () => {
  const box = extent([{ steps: [0, 1, 2, 3], values: [1, null, NaN, Infinity] }, { steps: [5], values: [3] }]);
  assert.deepEqual(box, { x0: 0, x1: 5, y0: 1, y1: 3 });
  const flat = extent([{ steps: [2], values: [4] }])!;
  assert.ok(flat.x0 < 2 && flat.x1 > 2 && flat.y0 < 4 && flat.y1 > 4);
  assert.equal(extent([{ steps: [0], values: [null] }]), null);
  assert.equal(extent([{ steps: [0, 1], values: [-1, 0] }], true), null); // nothing positive on a log scale
});

test('the shared ticks are round numbers inside the range, labelled as short as their step allows', () => {
  assert.deepEqual(niceTicks(0, 1, 5).ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(3, 97, 4).ticks, [20, 40, 60, 80]);
  const small = niceTicks(0.0131, 0.0171, 4);
  assert.deepEqual(small.ticks.map(t => tickText(t, small.step)), ['0.014', '0.015', '0.016', '0.017']);
  const steps = niceTicks(10000, 40000, 3);
  assert.deepEqual(steps.ticks.map(t => tickText(t, steps.step)), ['10k', '20k', '30k', '40k']);
});

test('ema smooths as TensorBoard does: gaps stay gaps and do not reset the average', () => {
  assert.deepEqual(ema([1, 2, 3], 0), [1, 2, 3]);
  assert.deepEqual(ema([0, 10, null, 10], 0.5), [0, 5, null, 7.5]);
  const smoothed = ema([4, NaN, 0], 0.75);
  assert.ok(Number.isNaN(smoothed[1]) && smoothed[2] === 3);
});

test('segments split at every gap: null, NaN, infinity, and non-positive values on a log scale', () => {
  const s = { steps: [0, 1, 2, 3, 4, 5, 6], values: [1, 2, null, 3, NaN, -Infinity, 4] };
  assert.deepEqual(segments(s), [[0, 1], [3], [6]]);
  assert.deepEqual(segments({ steps: [0, 1, 2], values: [1, 0, 2] }, true), [[0], [2]]);
  assert.deepEqual(segments({ steps: [], values: [] }), []);
});

test('thin keeps spikes, gaps and the last point within the budget', () => {
  const n = 10_000;
  const steps = Array.from({ length: n }, (_, i) => i);
  const values: (number | null)[] = steps.map(i => Math.sin(i / 100));
  values[4321] = 50; // a spike
  values[777] = null; // a gap
  const out = thin({ steps, values }, 400);
  assert.ok(out.steps.length <= 420, String(out.steps.length));
  assert.ok(out.values.includes(50));
  assert.ok(out.values.includes(null));
  assert.equal(out.steps[out.steps.length - 1], n - 1);
  assert.deepEqual([...out.steps].sort((a, b) => a - b), out.steps); // still in step order
  const short = { steps: [1, 2], values: [3, 4] };
  assert.equal(thin(short, 400), short);
});

test('mergeIncrement appends only points after the last step and thins a grown series', () => {
  const base = { steps: [0, 1, 2], values: [1, 2, 3] };
  const merged = mergeIncrement(base, { steps: [2, 3, 4], values: [3, null, 5] });
  assert.deepEqual(merged, { steps: [0, 1, 2, 3, 4], values: [1, 2, 3, null, 5] });
  assert.equal(mergeIncrement(merged, { steps: [4], values: [5] }), merged); // a repeated answer adds nothing
  assert.deepEqual(mergeIncrement({ steps: [], values: [] }, { steps: [7], values: [1] }), { steps: [7], values: [1] });
  let grown = { steps: [] as number[], values: [] as (number | null)[] };
  for (let start = 0; start < 5000; start += 100) {
    const steps = Array.from({ length: 100 }, (_, i) => start + i);
    grown = mergeIncrement(grown, { steps, values: steps.map(s => s * 2) }, 500);
  }
  assert.ok(grown.steps.length <= 1000, String(grown.steps.length));
  assert.equal(grown.steps[grown.steps.length - 1], 4999);
});

test('groupByPrefix groups keys by the part before the first slash, plain keys first', () => {
  assert.deepEqual(groupByPrefix(['val/acc', 'loss', 'train/loss', 'val/loss', 'lr']), [
    ['', ['loss', 'lr']],
    ['train', ['train/loss']],
    ['val', ['val/acc', 'val/loss']]
  ]);
});

test('formatNumber is short', () => {
  assert.equal(formatNumber(0.123456789), '0.12346');
  assert.equal(formatNumber(1234567), '1.23e+6');
  assert.equal(formatNumber(0.00001), '1.00e-5');
  assert.equal(formatNumber(null), '—');
  assert.equal(formatNumber(0), '0');
});
