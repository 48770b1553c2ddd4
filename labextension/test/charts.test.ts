/** Chart math: extents, ticks, scales, gaps, thinning and merging live increments (src/charts.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { extent, formatNumber, groupByPrefix, mergeIncrement, nearest, scale, segments, thin, ticks } from '../src/charts';

test('extent skips null, NaN and infinities, and widens a flat range', () => {
  const box = extent([{ steps: [0, 1, 2, 3], values: [1, null, NaN, Infinity] }, { steps: [5], values: [3] }]);
  assert.deepEqual(box, { x0: 0, x1: 5, y0: 1, y1: 3 });
  const flat = extent([{ steps: [2], values: [4] }])!;
  assert.ok(flat.x0 < 2 && flat.x1 > 2 && flat.y0 < 4 && flat.y1 > 4);
  assert.equal(extent([{ steps: [0], values: [null] }]), null);
  assert.equal(extent([{ steps: [0, 1], values: [-1, 0] }], true), null); // nothing positive on a log scale
});

test('ticks are round numbers inside the range', () => {
  assert.deepEqual(ticks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(ticks(3, 97, 4), [20, 40, 60, 80]);
  assert.deepEqual(ticks(0.0131, 0.0171, 4), [0.014, 0.015, 0.016, 0.017]);
  assert.deepEqual(ticks(1e-4, 10, 6, true), [0.0001, 0.001, 0.01, 0.1, 1, 10]);
  assert.deepEqual(ticks(2, 1), []);
  for (const t of ticks(-7.3, 12.9, 5)) {
    assert.ok(t >= -7.3 && t <= 12.9);
  }
});

test('scale maps linearly and on log10', () => {
  const lin = scale(0, 10, 100, 200);
  assert.equal(lin(5), 150);
  const log = scale(1, 100, 0, 2, true);
  assert.equal(log(10), 1);
  const flipped = scale(0, 1, 200, 0); // SVG y grows downwards
  assert.equal(flipped(1), 0);
});

test('segments split at every gap: null, NaN, infinity, and non-positive values on a log scale', () => {
  const s = { steps: [0, 1, 2, 3, 4, 5, 6], values: [1, 2, null, 3, NaN, -Infinity, 4] };
  assert.deepEqual(segments(s), [[0, 1], [3], [6]]);
  assert.deepEqual(segments({ steps: [0, 1, 2], values: [1, 0, 2] }, true), [[0], [2]]);
  assert.deepEqual(segments({ steps: [], values: [] }), []);
});

test('nearest finds the closest step', () => {
  assert.equal(nearest([0, 10, 20, 30], 14), 1);
  assert.equal(nearest([0, 10, 20, 30], 16), 2);
  assert.equal(nearest([0, 10, 20, 30], 99), 3);
  assert.equal(nearest([], 1), -1);
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
