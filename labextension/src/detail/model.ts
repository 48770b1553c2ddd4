/**
 * The data of one run's detail panel: the run (`GET runs/<project>/<id>`) and the points of every chart, kept
 * live while the run is running. It owns the polling: a `Poll` asks `changes?since=` for the run's row and
 * `metrics?after=<last step>` per group of keys, only while the panel is visible and the page is shown, backing
 * off while the server fails; it stops when the run ends (and the run is read once more, whole).
 * The views (the tabs in this folder) render what the signals announce.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { Series, mergeIncrement } from '../charts';
import { pollFrequency, standbyWhenHidden, startAfterInterval } from '../polling';
import { requestAPI, runPath } from '../request';
import { ChangesAnswer, MetricsAnswer, RunDetail, RunRow } from '../tokens';
import { incrementRequests, newScalarKeys } from './data';

const INITIAL_POINTS = 1000; // points per chart on load (downsampled server-side)
const KEEP_POINTS = 2000; // a live chart is thinned back to about this many points when it doubles

/** The points of one chart. */
export interface ChartData {
  series: Series;
  last: number | null; // the last step logged, as the server said (null: none yet)
  count: number; // what the last answer counted for the key
}

export class RunDetailModel {
  readonly project: string;
  readonly runId: string;

  /** @param options.visible whether the panel is shown: while it is not, the poll stands by (no requests). */
  constructor(options: { project: string; runId: string; pollInterval: number; visible: () => boolean }) {
    this.project = options.project;
    this.runId = options.runId;
    this._poll = new Poll({
      auto: false,
      factory: () => this._tick(this._generation),
      frequency: pollFrequency(options.pollInterval || 2000),
      standby: standbyWhenHidden(options.visible),
      name: `jupyter-track:run-detail#${this.project}/${this.runId}`
    });
  }

  /** The run as last read (null before the first read answers). */
  get detail(): RunDetail | null {
    return this._detail;
  }

  /** The points of each chart, by key (scalar and system keys). */
  get charts(): ReadonlyMap<string, ChartData> {
    return this._charts;
  }

  /** Whether the run is being followed live (it was running at the last read). */
  get live(): boolean {
    return this._live;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** A read of the run answered: everything is drawn anew from `detail`; its charts' points follow. */
  get loaded(): ISignal<this, RunDetail> {
    return this._loaded;
  }

  /** A read of the run failed (the panel shows why). */
  get failed(): ISignal<this, Error> {
    return this._failed;
  }

  /** The points of these charts changed. */
  get chartsChanged(): ISignal<this, string[]> {
    return this._chartsChanged;
  }

  /** The live run logged these scalar keys for the first time: they have charts now, with no points yet. */
  get keysAdded(): ISignal<this, string[]> {
    return this._keysAdded;
  }

  /** The run's row changed while live (its duration, state, summary). */
  get rowChanged(): ISignal<this, RunRow> {
    return this._rowChanged;
  }

  /** `live` changed. */
  get liveChanged(): ISignal<this, boolean> {
    return this._liveChanged;
  }

  /** Something the user should know that does not stop the panel (a chart's points could not be read). */
  get notice(): ISignal<this, string> {
    return this._notice;
  }

  /** Read the run again, and every chart from its whole (downsampled) history; follow it live if it runs. */
  async load(): Promise<void> {
    const generation = ++this._generation;
    this._setLive(false);
    let detail: RunDetail;
    try {
      detail = await requestAPI<RunDetail>(runPath(this));
    } catch (error) {
      if (generation === this._generation && !this.isDisposed) {
        this._failed.emit(error instanceof Error ? error : new Error(String(error)));
      }
      return;
    }
    if (this.isDisposed || generation !== this._generation) {
      return;
    }
    this._detail = detail;
    this._charts.clear();
    for (const key of [...detail.keys.scalars, ...detail.keys.system]) {
      this._charts.set(key, emptyChart());
    }
    this._loaded.emit(detail);
    await Promise.all(
      [detail.keys.scalars, detail.keys.system]
        .filter(keys => keys.length)
        .map(keys => this._fetch(keys, null, generation))
    );
    if (this.isDisposed || generation !== this._generation) {
      return;
    }
    if (detail.state === 'running') {
      this._setLive(true);
    }
  }

  /** The panel came back into view: catch up now instead of at the next tick. */
  catchUp(): void {
    if (this._live) {
      void this._poll.refresh();
    }
  }

  set pollInterval(ms: number) {
    this._poll.frequency = pollFrequency(ms);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._generation++;
    this._poll.dispose();
    Signal.clearData(this);
  }

  private _setLive(live: boolean): void {
    if (this.isDisposed) {
      return;
    }
    if (live) {
      void startAfterInterval(this._poll);
    } else {
      void this._poll.stop();
    }
    if (live !== this._live) {
      this._live = live;
      this._liveChanged.emit(live);
    }
  }

  /** One live update (the poll's factory): the run's row since the cursor, then each chart's new points. */
  private async _tick(generation: number): Promise<void> {
    const changes = await requestAPI<ChangesAnswer>('changes', {
      query: { project: this.project, since: this._cursor ?? undefined }
    }); // a failure rejects: the poll backs off (the server may be restarting)
    if (this.isDisposed || generation !== this._generation) {
      return;
    }
    const row = this._cursor !== null ? changes.runs.find(r => r.id === this.runId) : undefined;
    this._cursor = changes.cursor;
    // a key logged for the first time since the panel loaded: a new chart, read from its start
    const added = newScalarKeys(row?.summary, this._charts);
    if (added.length) {
      for (const key of added) {
        this._detail!.keys.scalars.push(key);
        this._charts.set(key, emptyChart());
      }
      this._keysAdded.emit(added);
    }
    const lastSteps = new Map([...this._charts].map(([key, c]) => [key, c.last]));
    await Promise.all(incrementRequests(lastSteps).map(r => this._fetch(r.keys, r.after, generation)));
    if (!row || this.isDisposed || generation !== this._generation) {
      return;
    }
    this._rowChanged.emit(row);
    if (row.state !== 'running') {
      void this.load(); // finished, failed or crashed: read it all once more and stop polling
    }
  }

  /** Fetch `keys` (all points, or those after step `after`) and merge them into their charts. */
  private async _fetch(keys: string[], after: number | null, generation: number): Promise<void> {
    let answer: MetricsAnswer;
    try {
      answer = await requestAPI<MetricsAnswer>(runPath(this, '/metrics'), {
        query: { key: keys, points: INITIAL_POINTS, after: after === null ? undefined : after }
      });
    } catch (error) {
      if (after === null && generation === this._generation && !this.isDisposed) {
        this._notice.emit(`Could not load metrics: ${error instanceof Error ? error.message : error}`);
      }
      return;
    }
    if (this.isDisposed || generation !== this._generation) {
      return;
    }
    const changed: string[] = [];
    for (const [key, m] of Object.entries(answer.metrics)) {
      const chart = this._charts.get(key);
      if (!chart) {
        continue;
      }
      const more: Series = { steps: m.steps ?? [], values: m.values ?? [] };
      const before = chart.series.steps.length;
      chart.series = after === null && !before ? more : mergeIncrement(chart.series, more, KEEP_POINTS);
      if (typeof m.last_step === 'number') {
        chart.last = chart.last === null ? m.last_step : Math.max(chart.last, m.last_step);
      }
      if (after === null || chart.series.steps.length !== before) {
        chart.count = m.count ?? chart.series.steps.length;
        changed.push(key);
      }
    }
    if (changed.length) {
      this._chartsChanged.emit(changed);
    }
  }

  private _detail: RunDetail | null = null;
  private _charts = new Map<string, ChartData>();
  private _cursor: number | null = null; // GET changes cursor
  private _generation = 0; // a load invalidates the answers to the requests of the previous one
  private _live = false;
  private _poll: Poll;
  private _loaded = new Signal<this, RunDetail>(this);
  private _failed = new Signal<this, Error>(this);
  private _chartsChanged = new Signal<this, string[]>(this);
  private _keysAdded = new Signal<this, string[]>(this);
  private _rowChanged = new Signal<this, RunRow>(this);
  private _liveChanged = new Signal<this, boolean>(this);
  private _notice = new Signal<this, string>(this);
}

function emptyChart(): ChartData {
  return { series: { steps: [], values: [] }, last: null, count: 0 };
}
