/**
 * Which run each open notebook's kernel is running, learned from `GET kernels/<id>/run`, and the live-notebook
 * snapshot: the first time a notebook's kernel is seen running a run, the notebook's model as JupyterLab holds
 * it (unsaved edits included) is sent to `POST runs/<project>/<id>/snapshot` — once per run.
 *
 * Only notebooks whose kernel is new, busy now or lately, or that have a running run, are asked about
 * (`shouldAskKernel`), and the poll stops when there are none: an idle lab sends no requests and runs no timer.
 * A kernel turning busy starts it again. Failures back off; a hidden page asks nothing.
 */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { KernelWatch, shouldAskKernel } from './logic';
import { pollFrequency, startAfterInterval } from './polling';
import { requestAPI, runPath } from './request';
import { KernelRunAnswer, RunRow } from './tokens';

/** The DOM event a run panel sends when a run starts in a notebook (run_panel.js). */
const RUN_STARTED = 'jupyter-track-run';

export interface KernelRun {
  panel: NotebookPanel;
  run: RunRow | null;
}

export class KernelRunTracker {
  constructor(options: { tracker: INotebookTracker; pollInterval: number }) {
    this._tracker = options.tracker;
    this._poll = new Poll({
      auto: false,
      factory: () => this.check(),
      frequency: pollFrequency(options.pollInterval),
      standby: 'when-hidden',
      name: 'jupyter-track:kernel-runs'
    });
    this._poll.ticked.connect((_, state) => {
      if (state.phase === 'rejected') {
        console.warn('jupyter-track: could not ask which run the kernel runs:', state.payload);
      }
      if ((state.phase === 'resolved' || state.phase === 'reconnected') && !this._anyToAsk()) {
        void this._poll.stop(); // nothing runs and no kernel was busy lately: no timer until one turns busy
      }
    });
    this._tracker.widgetAdded.connect((_, panel) => this._watch(panel));
    this._tracker.forEach(panel => this._watch(panel));
    this._tracker.currentChanged.connect(() => this._changed.emit(this.current()));
    // A run panel that starts in a notebook says so at once: its live snapshot is taken then, not at the next poll
    // (which a run shorter than the poll interval would not live to see)
    document.addEventListener(RUN_STARTED, this._onRunStarted);
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
    this._poll.frequency = pollFrequency(ms);
  }

  /**
   * Ask now about every notebook that may run a run (the poll's factory). Rejects when a request failed, after
   * the others were answered, so the poll backs off.
   */
  async check(): Promise<void> {
    const now = Date.now();
    const panels: NotebookPanel[] = [];
    this._tracker.forEach(panel => panels.push(panel));
    const failures: unknown[] = [];
    await Promise.all(
      panels.map(async panel => {
        const kernel = panel.sessionContext.session?.kernel;
        if (!kernel) {
          this._set(panel, null);
          return;
        }
        if (!shouldAskKernel(this._watchOf(panel), now)) {
          return;
        }
        this._kernelOf.set(panel.id, kernel.id);
        try {
          const answer = await requestAPI<KernelRunAnswer>(`kernels/${encodeURIComponent(kernel.id)}/run`);
          this._set(panel, answer.run);
          if (answer.run) {
            await this._snapshot(panel, answer.run);
          }
        } catch (error) {
          failures.push(error);
        }
      })
    );
    if (failures.length > 0) {
      throw failures[0];
    }
  }

  dispose(): void {
    document.removeEventListener(RUN_STARTED, this._onRunStarted);
    this._poll.dispose();
    Signal.clearData(this);
  }

  /** What the tracker knows of `panel` (see `shouldAskKernel`). */
  private _watchOf(panel: NotebookPanel): KernelWatch {
    return {
      kernelId: panel.sessionContext.session?.kernel?.id ?? null,
      askedKernel: this._kernelOf.get(panel.id) ?? null,
      busyNow: busy(panel),
      busyAt: this._busyAt.get(panel.id) ?? 0,
      hasRun: this._runs.has(panel.id)
    };
  }

  private _anyToAsk(): boolean {
    const now = Date.now();
    let any = false;
    this._tracker.forEach(panel => {
      any = any || shouldAskKernel(this._watchOf(panel), now);
    });
    return any;
  }

  /** Start the poll (a no-op while it runs): a notebook may now run a run. */
  private _wake(): void {
    if (!this._poll.isDisposed) {
      void startAfterInterval(this._poll);
    }
  }

  private _watch(panel: NotebookPanel): void {
    const mark = () => {
      if (busy(panel)) {
        this._busyAt.set(panel.id, Date.now());
        this._wake();
      }
    };
    panel.sessionContext.statusChanged.connect(mark);
    panel.sessionContext.kernelChanged.connect(() => {
      this._kernelOf.delete(panel.id);
      this._set(panel, null);
      this._wake(); // a new kernel is asked about once
    });
    panel.disposed.connect(() => {
      this._runs.delete(panel.id);
      this._busyAt.delete(panel.id);
      this._kernelOf.delete(panel.id);
    });
    this._wake(); // its kernel (once it has one) is asked about once
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

  /** A run panel's `jupyter-track-run` event (detail.path: `project/id`): snapshot the notebook holding it. */
  private _onRunStarted = (event: Event): void => {
    const path = (event as CustomEvent<{ path?: unknown }>).detail?.path;
    const target = event.target;
    if (typeof path !== 'string' || !(target instanceof Node)) {
      return;
    }
    const slash = path.lastIndexOf('/');
    const panel = this._tracker.find(p => p.node.contains(target));
    if (panel && slash > 0) {
      void this._snapshot(panel, { project: path.slice(0, slash), id: path.slice(slash + 1) });
    }
  };

  /** The live model of `panel` as the run's `live` snapshot, once per run. */
  private async _snapshot(panel: NotebookPanel, run: Pick<RunRow, 'project' | 'id'>): Promise<void> {
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

  private _tracker: INotebookTracker;
  private _poll: Poll;
  private _runs = new Map<string, RunRow>();
  private _busyAt = new Map<string, number>();
  private _kernelOf = new Map<string, string>();
  private _snapshotted = new Set<string>();
  private _changed = new Signal<this, KernelRun | null>(this);
}

/** Whether the notebook's kernel is busy (or starting) now. */
function busy(panel: NotebookPanel): boolean {
  const status = panel.sessionContext.kernelDisplayStatus;
  return status === 'busy' || status === 'starting';
}
