/**
 * The data of the "Runs" sidebar: the projects, one page of a project's runs (paged, sorted and filtered on the
 * server) and the `changes` cursor that keeps the page live. It owns the polling: a `Poll` asks `changes` every
 * `pollInterval` ms while the sidebar is visible and the page is shown, backing off while the server fails.
 * The view (sidebar.ts) renders what `changed` announces.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ViewState, initialView, mergeChanges, runsQuery } from './logic';
import { pollFrequency, standbyWhenHidden, startAfterInterval } from './polling';
import { requestAPI } from './request';
import { ChangesAnswer, ProjectInfo, RunRow, RunsPage } from './tokens';

/** What changed in the model: the project list, the whole page, some rows of it in place, or the error shown. */
export type RunListChange =
  | { kind: 'projects' }
  | { kind: 'page' }
  | { kind: 'rows'; ids: string[] }
  | { kind: 'error'; message: string };

export class RunListModel {
  /**
   * @param options.visible whether the sidebar is shown: while it is not, the poll stands by (no requests).
   */
  constructor(options: { pageSize: number; pollInterval: number; visible: () => boolean }) {
    this._view = initialView('', options.pageSize);
    this._poll = new Poll({
      auto: false,
      factory: () => this.poll(),
      frequency: pollFrequency(options.pollInterval),
      standby: standbyWhenHidden(options.visible),
      name: 'jupyter-track:sidebar#changes'
    });
    this._poll.ticked.connect((_, state) => {
      if (state.phase === 'rejected') {
        this._error(`live updates paused: ${message(state.payload)}`);
      } else if (state.phase === 'resolved' || state.phase === 'reconnected') {
        this._error('');
      }
    });
  }

  /** Emitted after each change of the projects, the page or the error. */
  get changed(): ISignal<this, RunListChange> {
    return this._changed;
  }

  /** The view asked of the server: project, sort, filters, page. */
  get view(): ViewState {
    return this._view;
  }

  get projects(): readonly ProjectInfo[] {
    return this._projects;
  }

  /** The runs of the page, in display order. */
  get rows(): readonly RunRow[] {
    return this._rows;
  }

  /** How many runs match the view (all pages). */
  get total(): number {
    return this._total;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  set pollInterval(ms: number) {
    this._poll.frequency = pollFrequency(ms);
  }

  /** Start polling, one interval after the first read (once the sidebar is attached; it stands by while hidden). */
  start(): void {
    void startAfterInterval(this._poll);
  }

  /** Show `view` (a filter, sort or page change): read the page again. */
  setView(view: ViewState): Promise<void> {
    this._view = view;
    this._offPage.clear();
    return this.reload();
  }

  /** Show another project (first page, filters kept). */
  setProject(project: string): Promise<void> {
    this._view = { ...this._view, project, offset: 0 };
    this._cursor = null; // a cursor is per project
    return this.reload();
  }

  /** Read the projects, then the page shown, from the server. */
  async refresh(): Promise<void> {
    await this._loadProjects();
    await this.reload();
  }

  /** Read the page shown again (after a filter, sort, page or delete, or when the sidebar is shown again). */
  async reload(): Promise<void> {
    if (!this._view.project) {
      this._setRows([], 0);
      return;
    }
    const view = this._view;
    const token = ++this._loadToken;
    try {
      const page = await requestAPI<RunsPage>('runs', { query: runsQuery(view) });
      if (token !== this._loadToken) {
        return; // a newer request answers for a newer view
      }
      this._cursor = this._cursor === null ? page.cursor : Math.min(this._cursor, page.cursor);
      this._offPage.clear();
      this._setRows(page.runs, page.total);
      this._error('');
    } catch (error) {
      if (token === this._loadToken) {
        this._error(message(error));
      }
    }
  }

  /**
   * One `changes` poll (the Poll's factory): replace changed rows, reload the page when a run that may belong in
   * it appeared. Rejects when the server does not answer, so the poll backs off.
   */
  async poll(): Promise<void> {
    if (!this._view.project) {
      await this._loadProjects();
      if (this._view.project) {
        await this.reload();
      }
      return;
    }
    const since = this._cursor;
    const answer = await requestAPI<ChangesAnswer>('changes', {
      query: { project: this._view.project, since: since ?? undefined }
    });
    this._cursor = answer.cursor;
    if (since === null) {
      return; // the first answer only gives a cursor
    }
    const merged = mergeChanges(this._rows, answer.runs, this._view, this._offPage);
    if (merged.reload || answer.truncated) {
      const before = new Set(this._rows.map(r => r.id));
      await this.reload();
      const shown = new Set(this._rows.map(r => r.id));
      for (const row of answer.runs) {
        if (!shown.has(row.id) && !before.has(row.id)) {
          this._offPage.add(row.id); // on another page: no reload for it until the view changes
        }
      }
      await this._refreshProjectCounts();
      return;
    }
    if (merged.updated.length > 0) {
      this._rows = merged.rows;
      this._changed.emit({ kind: 'rows', ids: merged.updated });
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _loadProjects(): Promise<void> {
    let projects: ProjectInfo[];
    try {
      projects = await requestAPI<ProjectInfo[]>('projects');
    } catch (error) {
      this._error(message(error));
      return;
    }
    this._projects = projects;
    if (!this._view.project || !projects.some(p => p.name === this._view.project)) {
      this._view = { ...this._view, project: projects.length > 0 ? projects[0].name : '', offset: 0 };
      this._cursor = null;
    }
    this._changed.emit({ kind: 'projects' });
  }

  private async _refreshProjectCounts(): Promise<void> {
    try {
      this._projects = await requestAPI<ProjectInfo[]>('projects');
      this._changed.emit({ kind: 'projects' });
    } catch {
      // the counts in the picker are a convenience; the next poll tries again
    }
  }

  private _setRows(rows: RunRow[], total: number): void {
    this._rows = rows;
    this._total = total;
    this._changed.emit({ kind: 'page' });
  }

  private _error(text: string): void {
    if (text !== this._shownError) {
      this._shownError = text;
      this._changed.emit({ kind: 'error', message: text });
    }
  }

  private _view: ViewState;
  private _projects: ProjectInfo[] = [];
  private _rows: RunRow[] = [];
  private _total = 0;
  private _cursor: number | null = null;
  private _offPage = new Set<string>();
  private _loadToken = 0;
  private _shownError = '';
  private _poll: Poll;
  private _changed = new Signal<this, RunListChange>(this);
}

function message(error: unknown): string {
  return String((error as Error)?.message ?? error);
}
