/** The JSON shapes the server extension answers (jupyter_track/server/queries.py), as the sidebar uses them. */

/** The states a run can be in; `crashed` is a running run whose heartbeat stopped. */
export const RUN_STATES = ['running', 'finished', 'failed', 'crashed', 'killed'] as const;
export type RunState = (typeof RUN_STATES)[number];

/** One run as `GET runs` and `GET changes` list it. */
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
  summary: Record<string, unknown>;
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

/** `GET projects`. */
export interface ProjectInfo {
  name: string;
  runs: number;
  last_created_at: number | null;
}

/** A run named across projects: what commands take as arguments. */
export interface RunRef {
  project: string;
  runId: string;
}

/** One stored notebook snapshot of a run (`GET runs/<project>/<id>` → snapshots). */
export interface SnapshotInfo {
  which: string;
  at: string;
  size: number;
  sha256: string;
}

/** What `GET runs/<project>/<id>` answers: the list row plus the run's detail. */
export interface RunDetail extends RunRow {
  finished_at: number | null;
  host: string | null;
  pid: number | null;
  exit_code: number | null;
  config: Record<string, unknown>;
  summary_stats: Record<string, { last?: number; min?: number; max?: number; count?: number }>;
  meta: Record<string, any>;
  files: { name: string; size: number; sha256: string }[];
  snapshots: SnapshotInfo[];
  keys: { scalars: string[]; system: string[]; media: string[] };
}
