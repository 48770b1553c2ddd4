/**
 * Which run each open notebook's kernel is running, learned from `GET kernels/<id>/run`, and the live-notebook
 * snapshot: the first time a notebook's kernel is seen running a run, the notebook's model as JupyterLab holds
 * it (unsaved edits included) is sent to `POST runs/<project>/<id>/snapshot` — once per run.
 *
 * Only notebooks whose kernel was busy lately, or that have a running run, are asked about, so an idle lab sends
 * no requests.
 */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import { requestAPI, runPath } from './request';
import { RunRow } from './types';

/** How long after a kernel was last busy its notebook is still asked about: the run's notebook facts are
 * written by a capture thread a moment after `jt.init()`, possibly after the cell finished. */
const RECENT_MS = 15000;

export interface KernelRun {
  panel: NotebookPanel;
  run: RunRow | null;
}

export class KernelRunTracker {
  constructor(options: { tracker: INotebookTracker; pollInterval: number }) {
    this._tracker = options.tracker;
    this._interval = options.pollInterval;
    this._tracker.widgetAdded.connect((_, panel) => this._watch(panel));
    this._tracker.forEach(panel => this._watch(panel));
    this._tracker.currentChanged.connect(() => this._changed.emit(this.current()));
    this._schedule();
  }

  /** Emitted when the run of the current notebook changed (or another notebook became current). */
  get changed(): ISignal<this, KernelRun | null> {
    return this._changed;
  }

  /** The current notebook and its kernel's running run. */
  current(): KernelRun | null {
    const panel = this._tracker.currentWidget;
    if (!panel) {
      return null;
    }
    return { panel, run: this._runs.get(panel.id) ?? null };
  }

  set pollInterval(ms: number) {
    this._interval = ms;
  }

  /** Ask now about every notebook that may run a run (called by the poll loop; public for tests/commands). */
  async check(): Promise<void> {
    const now = Date.now();
    const panels: NotebookPanel[] = [];
    this._tracker.forEach(panel => panels.push(panel));
    await Promise.all(
      panels.map(async panel => {
        const kernel = panel.sessionContext.session?.kernel;
        if (!kernel) {
          this._set(panel, null);
          return;
        }
        const known = this._runs.get(panel.id);
        const newKernel = this._kernelOf.get(panel.id) !== kernel.id;
        const recent = now - (this._busyAt.get(panel.id) ?? 0) < RECENT_MS;
        if (!newKernel && !recent && !known) {
          return;
        }
        this._kernelOf.set(panel.id, kernel.id);
        try {
          const answer = await requestAPI<{ run: RunRow | null }>(`kernels/${encodeURIComponent(kernel.id)}/run`);
          this._set(panel, answer.run);
          if (answer.run) {
            await this._snapshot(panel, answer.run);
          }
        } catch (error) {
          console.warn('jupyter-track: could not ask which run the kernel runs:', error);
        }
      })
    );
  }

  dispose(): void {
    this._disposed = true;
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
      this._timer = null;
    }
    Signal.clearData(this);
  }

  private _watch(panel: NotebookPanel): void {
    const mark = () => {
      const status = panel.sessionContext.kernelDisplayStatus;
      if (status === 'busy' || status === 'starting') {
        this._busyAt.set(panel.id, Date.now());
      }
    };
    panel.sessionContext.statusChanged.connect(mark);
    panel.sessionContext.kernelChanged.connect(() => {
      this._kernelOf.delete(panel.id);
      this._set(panel, null);
    });
    panel.disposed.connect(() => {
      this._runs.delete(panel.id);
      this._busyAt.delete(panel.id);
      this._kernelOf.delete(panel.id);
    });
  }

  private _set(panel: NotebookPanel, run: RunRow | null): void {
    const before = this._runs.get(panel.id) ?? null;
    if (run) {
      this._runs.set(panel.id, run);
    } else {
      this._runs.delete(panel.id);
    }
    if (JSON.stringify(before) !== JSON.stringify(run) && panel === this._tracker.currentWidget) {
      this._changed.emit(this.current());
    }
  }

  /** The live model of `panel` as the run's `live` snapshot, once per run. */
  private async _snapshot(panel: NotebookPanel, run: RunRow): Promise<void> {
    const key = `${run.project}/${run.id}`;
    if (this._snapshotted.has(key) || !panel.context.model) {
      return;
    }
    this._snapshotted.add(key);
    try {
      await requestAPI(runPath({ project: run.project, runId: run.id }, '/snapshot'), {
        method: 'POST',
        body: { notebook: panel.context.model.toJSON(), path: panel.context.path }
      });
    } catch (error) {
      console.warn(`jupyter-track: the live notebook snapshot of run ${key} was not stored:`, error);
    }
  }

  private _schedule(): void {
    if (this._disposed) {
      return;
    }
    this._timer = window.setTimeout(async () => {
      this._timer = null;
      await this.check();
      this._schedule();
    }, Math.max(250, this._interval));
  }

  private _tracker: INotebookTracker;
  private _interval: number;
  private _timer: number | null = null;
  private _disposed = false;
  private _runs = new Map<string, RunRow>();
  private _busyAt = new Map<string, number>();
  private _kernelOf = new Map<string, string>();
  private _snapshotted = new Set<string>();
  private _changed = new Signal<this, KernelRun | null>(this);
}
