/** The polling rules every model shares (src/polling.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { MAX_BACKOFF_MS, MIN_INTERVAL_MS, pollFrequency, standbyWhenHidden } from '../src/polling';

test('a poll backs off on failures, up to 30 s, from the interval the settings give', () => {
  assert.deepEqual(pollFrequency(2000), { interval: 2000, backoff: true, max: MAX_BACKOFF_MS });
  assert.equal(MAX_BACKOFF_MS, 30_000);
});

test('a too short or unusable interval is raised to the minimum', () => {
  assert.equal(pollFrequency(10).interval, MIN_INTERVAL_MS);
  assert.equal(pollFrequency(NaN).interval, MIN_INTERVAL_MS);
  assert.equal(pollFrequency(1234.6).interval, 1235);
});

test('an interval over the back-off ceiling raises the ceiling (a Poll refuses interval > max)', () => {
  assert.deepEqual(pollFrequency(60_000), { interval: 60_000, backoff: true, max: 60_000 });
});

test('a poll stands by while its view is hidden, and else while the page is hidden', () => {
  let visible = false;
  const standby = standbyWhenHidden(() => visible);
  assert.equal(standby(), true);
  visible = true;
  assert.equal(standby(), 'when-hidden');
});
