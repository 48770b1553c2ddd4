/**
 * The JSON shapes the server extension's REST API answers, one interface per shape, typed once.
 *
 * Mirrored field for field by `jupyter_track/server/wire.py` (the TypedDicts `server/queries.py` returns): same
 * names, and a field that may be absent is `field?:` here and `total=False` there. `tests/test_wire.py` fails
 * when the two drift apart, so change both together. Only wire shapes live here.
 */

/** The states a run can be in (`jupyter_track.types.RUN_STATES`); `crashed` is a running run whose heartbeat
 * stopped, `pruned` a sweep trial its pruner stopped early. */
export const RUN_STATES = ['running', 'finished', 'failed', 'crashed', 'killed', 'pruned'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** `GET projects`: one project and how many runs it has. */
export interface ProjectInfo {
  name: string;
  runs: number;
  last_created_at: number | null;
}

/** One run as `GET runs` and `GET changes` list it (`notebook` is null in lists over 1000 rows). */
export interface RunRow {
  id: string;
  name: string;
  state: RunState | string;
  project: string;
  group: string | null;
  job_type: string | null;
  tags: string[];
  notes: string | null;
  created_at: number;
  updated_at: number;
  duration: number | null;
  last_step: number | null;
  sweep_id: string | null;
  notebook: string | null;
  alerts: AlertDigest | null;
  summary: Record<string, unknown>;
}

/** A run's alerts in its list row (`run.alert`): how many, and the latest one. */
export interface AlertDigest {
  count: number;
  title: string;
  text: string;
  level: string;
  time: number;
}

/** `GET runs`: a page of runs, the number matching, and a change cursor taken before the read. */
export interface RunsPage {
  total: number;
  offset: number;
  limit: number;
  cursor: number;
  runs: RunRow[];
}

/** `GET changes?since=`: the runs changed after the cursor (and every running one), and the next cursor. */
export interface ChangesAnswer {
  runs: RunRow[];
  cursor: number;
  truncated: boolean;
}

/** `GET kernels/<id>/run`: the running run the kernel started, if any. */
export interface KernelRunAnswer {
  run: RunRow | null;
}

/** Statistics of one scalar series (`RunDetail.summary_stats`). */
export interface SummaryStats {
  last: number | null;
  min: number | null;
  max: number | null;
  count: number;
  last_step: number | null;
}

/** A file stored with `run.save()`. */
export interface FileInfo {
  name: string;
  size: number;
  sha256: string;
}

/** A notebook snapshot stored with a run; also what `POST runs/<project>/<id>/snapshot` answers. */
export interface SnapshotInfo {
  which: string; // executed | saved | live | script
  at: string; // init | finish
  size: number;
  sha256: string;
}

/** The keys a run logged: scalar series, system series, and the rest (media, tables, text). */
export interface RunKeys {
  scalars: string[];
  system: string[];
  media: string[];
}

/** `GET runs/<project>/<id>`: the list row plus the run's detail. */
export interface RunDetail extends RunRow {
  color: string; // the run's colour by its id, the one its curves have in a compare
  entity: string | null;
  host: string | null;
  pid: number | null;
  exit_code: number | null;
  heartbeat_at: number | null;
  finished_at: number | null;
  config: Record<string, unknown>;
  summary_stats: Record<string, SummaryStats>;
  meta: Record<string, any>;
  files: FileInfo[];
  snapshots: SnapshotInfo[];
  keys: RunKeys;
}

/** One key of `GET metrics`: its points (downsampled), how many were logged, and its last step. */
export interface MetricSeries {
  steps: number[];
  values: (number | null)[];
  times: number[];
  count: number;
  last_step: number | null;
}

/** `GET runs/<project>/<id>/metrics`. */
export interface MetricsAnswer {
  run: string;
  points: number;
  after: number | null;
  metrics: Record<string, MetricSeries>;
}

/** One logged value of `GET media` (images, histograms, html, ...) with its blob URLs. */
export interface MediaItem {
  step: number;
  time: number;
  kind: string;
  data: any;
}

/**
 * A `jt.plot` chart as logged (a media item of kind `chart`; types.py `ChartData`): which table column plays
 * which role (line kinds: x, y, stroke; scatter: x, y; bar: label, value; histogram: value; confusion_matrix:
 * actual, predicted, count), axis titles, and the table (its rows are the JSON blob `table.sha`).
 */
export interface ChartData {
  chart: string; // line | scatter | bar | histogram | line_series | confusion_matrix | pr_curve | roc_curve
  title: string;
  fields: Record<string, string | null>;
  axes: Record<string, string>;
  table: { sha: string; url?: string; nrows: number; ncols: number; columns: string[]; column_types: string[] };
}

/** A logged table's blob (`GET blobs/<sha>`): its columns and rows. */
export interface TableBlob {
  columns: string[];
  column_types?: string[];
  rows: unknown[][];
}

/** `GET runs/<project>/<id>/media?key=`. */
export interface MediaPage {
  key: string;
  total: number;
  offset: number;
  items: MediaItem[];
}

/** `GET runs/<project>/<id>/table?key=`: one page of a logged table at one of its steps. */
export interface TablePage {
  key: string;
  step: number;
  steps: number[];
  columns: string[];
  column_types: string[] | null;
  nrows: number;
  page: number;
  page_size: number;
  rows: unknown[][];
}

/** A column of the compare table: a config key, a summary metric or a lead column. */
export interface CompareColumn {
  name: string;
  kind: string;
  type: string; // num | cat
}

/** A run of `GET compare`. */
export interface CompareRun {
  id: string;
  name: string;
  color: string;
  group: string;
  project: string;
  path: string;
  run_group: string | null;
}

/** `GET compare`: the compare widget's synced state plus every run's curves (`[metric][run] -> [steps, values]`). */
export interface CompareAnswer {
  metrics: string[];
  group_by: string;
  columns: CompareColumn[];
  rows: unknown[][];
  runs: CompareRun[];
  total_runs: number;
  bands: Record<string, unknown[]>;
  importance: Record<string, unknown>;
  importance_metric: string;
  curves: ([(number | null)[], (number | null)[]] | null)[][];
}

/** `POST runs/<project>/<id>/restore`: the new notebook's path under the server root. */
export interface RestoreAnswer {
  path: string;
}

/** `DELETE runs/<project>/<id>`. */
export interface DeleteAnswer {
  deleted: string;
}

/** The body of every non-2xx answer. `running` is true on the 409 of a `DELETE` of a running run (`?force=1`
 * deletes it anyway). */
export interface ErrorAnswer {
  error: string;
  running?: boolean;
}
