/** The pure parts of logged-chart drawing (src/plots.ts): lines by stroke, bins, the confusion matrix. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { bins, bounds, column, confusion, linesOf } from '../src/plots';
import { ChartData, TableBlob } from '../src/tokens';

function chart(kind: string, fields: Record<string, string | null>): ChartData {
  return { chart: kind, title: '', fields, axes: {}, table: { sha: '', nrows: 0, ncols: 0, columns: [], column_types: [] } };
}

test('lines: one per stroke value in first-seen order, points sorted by x, text y a gap', () => {
  const table: TableBlob = {
    columns: ['x', 'y', 's'],
    rows: [[2, 4, 'b'], [1, 1, 'a'], [0, 0, 'a'], [1, 2, 'b'], [2, 'n/a', 'a']]
  };
  const lines = linesOf(chart('line', { x: 'x', y: 'y', stroke: 's' }), table);
  assert.deepEqual(lines.map(l => [l.name, l.steps, l.values]), [
    ['b', [1, 2], [2, 4]],
    ['a', [0, 1, 2], [0, 1, null]]
  ]);
  assert.notEqual(lines[0].color, lines[1].color);
  const one = linesOf(chart('line', { x: 'x', y: 'y', stroke: null }), table);
  assert.equal(one.length, 1);
  assert.deepEqual(one[0].steps, [0, 1, 1, 2, 2]);
  const text = linesOf(chart('line', { x: 's', y: 'y', stroke: null }), table); // text x: row order
  assert.deepEqual(text[0].steps, [0, 1, 2, 3, 4]);
  assert.deepEqual(column(chart('line', { x: 'missing' }), table, 'x'), []);
});

test('bins: equal widths over the finite values, every value counted once', () => {
  const { edges, counts } = bins([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, null, NaN, 'x'], 5);
  assert.deepEqual(edges, [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(counts, [2, 2, 2, 2, 2]); // the maximum falls in the last bin
  assert.deepEqual(bins([3, 3, 3]), { edges: [2.5, 3.5], counts: [3] }); // one distinct value: one bin
  assert.deepEqual(bins([]), { edges: [], counts: [] });
});

test('confusion matrix: classes in table order, counts by (actual, predicted)', () => {
  const table: TableBlob = {
    columns: ['Actual', 'Predicted', 'nPredictions'],
    rows: [['cat', 'cat', 3], ['cat', 'dog', 1], ['dog', 'cat', 0], ['dog', 'dog', 5]]
  };
  const { classes, matrix } = confusion(chart('confusion_matrix', { actual: 'Actual', predicted: 'Predicted', count: 'nPredictions' }), table);
  assert.deepEqual(classes, ['cat', 'dog']);
  assert.deepEqual(matrix, [[3, 1], [0, 5]]);
});

test('bounds of a long array (no spread into Math.min)', () => {
  const long = Array.from({ length: 300_000 }, (_, i) => i - 7);
  assert.deepEqual(bounds(long), [-7, 299_992]);
});
