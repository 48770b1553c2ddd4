/**
 * The pure data side of the run detail panel: config flattening and search, sizes, which `metrics?after=`
 * requests bring a live chart up to date, which keys are new, which tab shows a logged key, and which key a
 * chart's x-axis is (`define_metric(step_metric=)`).
 * No DOM, no JupyterLab: unit-tested in node.
 */
import { Series, formatNumber } from '../charts';

/** `{"a": {"b": 1}, "c": [1, 2]}` → `[["a.b", 1], ["c", [1, 2]]]` (lists stay values), keys in order. */
export function flattenConfig(config: unknown, prefix = ''): [string, unknown][] {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    return prefix ? [[prefix, config]] : [];
  }
  const out: [string, unknown][] = [];
  const entries = Object.entries(config as Record<string, unknown>);
  if (!entries.length && prefix) {
    return [[prefix, {}]];
  }
  for (const [key, value] of entries) {
    out.push(...flattenConfig(value, prefix ? `${prefix}.${key}` : key));
  }
  return out;
}

/** A value as the config and summary tables show it. */
export function configText(value: unknown): string {
  if (value === null || value === undefined) {
    return 'null';
  }
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number') {
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
  }
  return JSON.stringify(value);
}

/** The entries whose key or shown value contains every word of `query` (case-insensitive). */
export function filterEntries(entries: [string, unknown][], query: string): [string, unknown][] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) {
    return entries;
  }
  return entries.filter(([key, value]) => {
    const text = `${key} ${configText(value)}`.toLowerCase();
    return words.every(w => text.includes(w));
  });
}

/** Bytes as `12.3 kB`. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) {
    return '—';
  }
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u ? Number(v.toPrecision(3)) : v} ${units[u]}`;
}

/**
 * The increment requests that bring charts up to date: keys sharing the same last step go in one
 * `metrics?keys=…&after=<that step>` request. One shared `after` would refetch a dense key's history whenever
 * a sparse key (logged once at step 0) drags it down; per-key requests would multiply the calls.
 */
export function incrementRequests(lastSteps: Map<string, number | null>): { after: number | null; keys: string[] }[] {
  const byStep = new Map<string, { after: number | null; keys: string[] }>();
  for (const [key, last] of lastSteps) {
    const id = String(last);
    if (!byStep.has(id)) {
      byStep.set(id, { after: last, keys: [] });
    }
    byStep.get(id)!.keys.push(key);
  }
  return [...byStep.values()];
}

/** Keys of the system monitor's stream (`system/cpu`, ...): drawn on the System tab, never as a training chart. */
export const SYSTEM_PREFIX = 'system/';

/**
 * The scalar keys a live run logged for the first time since its panel loaded: numeric summary values whose key
 * has no chart yet (system keys excepted), in the summary's order.
 */
export function newScalarKeys(summary: Record<string, unknown> | undefined, charted: { has(key: string): boolean }): string[] {
  return Object.entries(summary ?? {})
    .filter(([key, value]) => typeof value === 'number' && !charted.has(key) && !key.startsWith(SYSTEM_PREFIX))
    .map(([key]) => key);
}

/**
 * What a logged non-scalar value is, from the run's summary: `images` (a list of images), the `_type` of a typed
 * value (`image`, `table`, `histogram`, ...), else `other`.
 */
export function mediaKind(value: unknown): string {
  if (Array.isArray(value)) {
    return 'images';
  }
  const typed = value as { _type?: unknown } | null;
  return typed && typeof typed === 'object' && typeof typed._type === 'string' ? typed._type : 'other';
}

/** A logged medium of the summary on one line, as the CLI writes it: `histogram: 64 bins over [-2.1, 3]`. */
export function describeMedium(value: unknown): string {
  const kind = mediaKind(value);
  const bins = (value as { bins?: unknown })?.bins;
  if (kind === 'histogram' && Array.isArray(bins) && bins.length > 1) {
    return `histogram: ${bins.length - 1} bins over [${formatNumber(bins[0])}, ${formatNumber(bins[bins.length - 1])}]`;
  }
  return kind;
}

/** The run's media keys split into the Media tab's (everything but tables) and the Tables tab's. */
export function mediaAndTableKeys(detail: {
  keys: { media: string[] };
  summary: Record<string, unknown>;
}): { media: string[]; tables: string[] } {
  const keys = detail.keys.media ?? [];
  const isTable = (key: string) => mediaKind(detail.summary?.[key]) === 'table';
  return { media: keys.filter(k => !isTable(k)), tables: keys.filter(isTable) };
}

/**
 * The key a metric is drawn against by default: the `step_metric` of its `define_metric` (the run's
 * `meta.metrics`, name → definition): the definition of its exact name, else of the latest glob it matches
 * (`*`, `?`, `[…]`, as Python's fnmatch). Never the metric itself; null: the step.
 */
export function stepMetricFor(key: string, metrics: unknown): string | null {
  if (!metrics || typeof metrics !== 'object') {
    return null;
  }
  const defs = metrics as Record<string, { step_metric?: unknown } | null>;
  let found = Object.prototype.hasOwnProperty.call(defs, key) ? defs[key] : undefined;
  if (found === undefined) {
    const globs = Object.keys(defs).filter(name => /[*?[]/.test(name) && globRegExp(name).test(key));
    found = globs.length ? defs[globs[globs.length - 1]] : undefined;
  }
  const axis = found && typeof found.step_metric === 'string' ? found.step_metric : null;
  return axis && axis !== key ? axis : null;
}

function globRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    const close = c === '[' ? glob.indexOf(']', i + 2) : -1;
    if (c === '*') {
      out += '[\\s\\S]*';
    } else if (c === '?') {
      out += '[\\s\\S]';
    } else if (close > 0) {
      const body = glob.slice(i + 1, close);
      out += `[${body[0] === '!' ? '^' + body.slice(1) : body}]`.replace(/\\/g, '\\\\');
      i = close;
    } else {
      out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`);
}

/**
 * `series` drawn against `axis`: each point's x is the axis key's value at the last step at or before the point's
 * step (as W&B joins a `step_metric`); points before the axis's first value are left out.
 */
export function alongAxis(series: Series, axis: Series): Series {
  const steps: number[] = [];
  const values: (number | null)[] = [];
  let j = -1;
  for (let i = 0; i < series.steps.length; i++) {
    const step = series.steps[i];
    while (j + 1 < axis.steps.length && axis.steps[j + 1] <= step) {
      j++;
    }
    const x = j >= 0 ? axis.values[j] : null;
    if (typeof x === 'number' && Number.isFinite(x)) {
      steps.push(x);
      values.push(series.values[i]);
    }
  }
  return { steps, values };
}
