import { test } from 'node:test';
import assert from 'node:assert/strict';

import { alertTooltip, baseName, formatCount, formatDuration, formatTime, formatValue } from '../src/format';

test('counts get thousands separators', () => {
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(10000), '10,000');
  assert.equal(formatCount(1234567), '1,234,567');
  assert.equal(formatCount(-4321), '-4,321');
});

test('durations read as ms, s, m s, h m, d h', () => {
  assert.equal(formatDuration(null), '');
  assert.equal(formatDuration(-1), '');
  assert.equal(formatDuration(0.25), '250 ms');
  assert.equal(formatDuration(42.9), '42 s');
  assert.equal(formatDuration(185), '3 m 05 s');
  assert.equal(formatDuration(2 * 3600 + 3 * 60 + 59), '2 h 03 m');
  assert.equal(formatDuration(3 * 86400 + 4 * 3600), '3 d 04 h');
});

test('start times: clock today, month and day this year, date before', () => {
  const now = new Date(2025, 10, 26, 15, 0, 0);
  const today = new Date(2025, 10, 26, 9, 5, 7).getTime() / 1000;
  const earlier = new Date(2025, 1, 3, 14, 30, 0).getTime() / 1000;
  const lastYear = new Date(2024, 11, 31, 23, 0, 0).getTime() / 1000;
  assert.equal(formatTime(today, now), '09:05:07');
  assert.equal(formatTime(earlier, now), 'Feb 3 14:30');
  assert.equal(formatTime(lastYear, now), '2024-12-31');
  assert.equal(formatTime(null, now), '');
});

test('values: integers as they are, 4 significant digits, exponents, NaN and infinities named', () => {
  assert.equal(formatValue(42), '42');
  assert.equal(formatValue(0), '0');
  assert.equal(formatValue(0.123456), '0.1235');
  assert.equal(formatValue(1234.5678), '1235');
  assert.equal(formatValue(1.5e-7), '1.50e-7');
  assert.equal(formatValue(12345678.9), '1.23e+7');
  assert.equal(formatValue(NaN), 'NaN');
  assert.equal(formatValue(Infinity), '∞');
  assert.equal(formatValue(-Infinity), '-∞');
  assert.equal(formatValue(null), '');
  assert.equal(formatValue(true), 'true');
  assert.equal(formatValue('a'.repeat(40), 10), 'aaaaaaaaa…');
  assert.equal(formatValue({ a: 1 }), '{"a":1}');
});

test('base names of notebook paths', () => {
  assert.equal(baseName('train/exp/loss.ipynb'), 'loss.ipynb');
  assert.equal(baseName('C:\\work\\a.ipynb'), 'a.ipynb');
  assert.equal(baseName(null), '');
});

test('alertTooltip says how many alerts and the latest one', () => {
  assert.equal(alertTooltip({ count: 1, title: 'Low accuracy', text: '0.2 at step 88', level: 'WARN' }),
    '1 alert; latest: [WARN] Low accuracy: 0.2 at step 88');
  assert.equal(alertTooltip({ count: 3, title: 'Done', text: '', level: 'INFO' }), '3 alerts; latest: [INFO] Done');
});
