/**
 * How every model of the extension polls (`@lumino/polling` `Poll`): the same frequency rule and standby rule
 * everywhere, so a failing server is asked less and less often and a hidden view or page asks nothing.
 */
import type { IPoll, Poll } from '@lumino/polling';

/** The shortest interval between two polls (a smaller setting is raised to it). */
export const MIN_INTERVAL_MS = 250;

/** The longest wait after failed polls: each failure multiplies the wait (about 3×) up to this. */
export const MAX_BACKOFF_MS = 30_000;

/** A poll's frequency: every `interval` ms while the server answers, backing off on failures up to 30 s. */
export function pollFrequency(interval: number): IPoll.Frequency {
  const ms = Math.max(MIN_INTERVAL_MS, Number.isFinite(interval) ? Math.round(interval) : MIN_INTERVAL_MS);
  return { interval: ms, backoff: true, max: Math.max(MAX_BACKOFF_MS, ms) };
}

/**
 * A poll's standby rule: stand by (no request) while `visible()` is false, e.g. a collapsed sidebar or a tab
 * behind another; otherwise while the browser page is hidden (`'when-hidden'`).
 */
export function standbyWhenHidden(visible: () => boolean): () => boolean | Poll.Standby {
  return () => (visible() ? 'when-hidden' : true);
}

/**
 * Start `poll` (when it is not running) with its first tick one interval from now, not at once: the view has
 * just read what the first tick would ask for.
 */
export function startAfterInterval(poll: Poll): Promise<void> {
  return poll.schedule({
    cancel: ({ phase }) => phase !== 'constructed' && phase !== 'standby' && phase !== 'stopped',
    interval: poll.frequency.interval,
    phase: 'started'
  });
}
