/**
 * How the sidebar writes times, durations and values: pure functions (no DOM, no JupyterLab), unit-tested with
 * `node --test`.
 */

/** `1234567` → `1,234,567` (no locale: the same text in every browser). */
export function formatCount(n: number): string {
  const sign = n < 0 ? '-' : '';
  const digits = String(Math.trunc(Math.abs(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A duration in seconds as `850 ms`, `42 s`, `3 m 05 s`, `2 h 03 m`, `3 d 04 h`; empty for null. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return '';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  const s = Math.floor(seconds);
  if (s < 60) {
    return `${s} s`;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) {
    return `${Math.floor(s / 60)} m ${pad(s % 60)} s`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} m`;
  }
  return `${Math.floor(s / 86400)} d ${pad(Math.floor((s % 86400) / 3600))} h`;
}

/**
 * A start time (epoch seconds) relative to `now`: `14:03:27` today, `Nov 25 14:03` this year, else
 * `2024-11-25`. Local time, as the user reads clocks.
 */
export function formatTime(epochSeconds: number | null | undefined, now: Date = new Date()): string {
  if (epochSeconds === null || epochSeconds === undefined || !Number.isFinite(epochSeconds)) {
    return '';
  }
  const d = new Date(epochSeconds * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (d.toDateString() === now.toDateString()) {
    return `${clock}:${pad(d.getSeconds())}`;
  }
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  if (d.getFullYear() === now.getFullYear()) {
    return `${months[d.getMonth()]} ${d.getDate()} ${clock}`;
  }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Full local date and time, for tooltips: `2025-11-26 14:03:27`. */
export function formatDateTime(epochSeconds: number | null | undefined): string {
  if (epochSeconds === null || epochSeconds === undefined || !Number.isFinite(epochSeconds)) {
    return '';
  }
  const d = new Date(epochSeconds * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/**
 * A summary value in a narrow column: integers as they are (up to 1e6), other numbers with 4 significant
 * digits, very large or small ones in exponent form; NaN/±inf named; strings and objects cut to `maxLength`.
 */
export function formatValue(value: unknown, maxLength = 24): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'number') {
    if (Number.isNaN(value)) {
      return 'NaN';
    }
    if (!Number.isFinite(value)) {
      return value > 0 ? '∞' : '-∞';
    }
    const abs = Math.abs(value);
    if (Number.isInteger(value) && abs < 1e6) {
      return String(value);
    }
    if (abs === 0 || (abs >= 1e-3 && abs < 1e6)) {
      return String(Number(value.toPrecision(4)));
    }
    return value.toExponential(2);
  }
  if (typeof value === 'boolean') {
    return value ? 'true' : 'false';
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > maxLength ? text.slice(0, maxLength - 1) + '…' : text;
}

/** `train/loss.ipynb` → `loss.ipynb`: the last part of a path, for a narrow column. */
export function baseName(path: string | null | undefined): string {
  if (!path) {
    return '';
  }
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** The tooltip of a run's alert badge: how many, and the latest one (`[WARN] Low accuracy: 0.21 at step 88`). */
export function alertTooltip(alerts: { count: number; title: string; text: string; level: string }): string {
  const many = alerts.count === 1 ? '1 alert' : `${alerts.count} alerts`;
  return `${many}; latest: [${alerts.level}] ${alerts.title}${alerts.text ? `: ${alerts.text}` : ''}`;
}
