/** The status bar item: the running run of the current notebook's kernel (name, state, step); a click opens it. */
import { CommandRegistry } from '@lumino/commands';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from './commandIds';
import { runsIcon } from './icons';
import { KernelRun } from './kernelRuns';

export class ActiveRunStatus extends Widget {
  constructor(options: { commands: CommandRegistry }) {
    super();
    this._commands = options.commands;
    this.addClass('jp-TrackStatus');
    this.node.title = 'The run this notebook\'s kernel is running (jupyter_track); click to open it';
    const icon = document.createElement('span');
    icon.className = 'jp-TrackStatus-icon';
    runsIcon.element({ container: icon, height: '14px', width: '14px' });
    this._text = document.createElement('span');
    this._text.className = 'jp-TrackStatus-text';
    this.node.append(icon, this._text);
    this.node.addEventListener('click', () => {
      if (this._run) {
        void this._commands.execute(CommandIDs.openRun, {
          project: this._run.run!.project,
          runId: this._run.run!.id
        });
      }
    });
    this.setRun(null);
  }

  /** Show `current`'s run, or hide the item when the notebook's kernel runs none. */
  setRun(current: KernelRun | null): void {
    this._run = current && current.run ? current : null;
    if (!this._run) {
      this._text.textContent = '';
      this.node.dataset.state = '';
      this._activeChanged.emit();
      return;
    }
    const run = this._run.run!;
    const step = run.last_step !== null && run.last_step !== undefined ? ` · step ${run.last_step}` : '';
    this._text.textContent = `${run.name} · ${run.state}${step}`;
    this.node.dataset.state = run.state;
    this.node.dataset.runId = run.id;
    this._activeChanged.emit();
  }

  /** Whether there is a run to show (the status bar hides the item otherwise). */
  get hasRun(): boolean {
    return this._run !== null;
  }

  /** Emitted when `hasRun` may have changed. */
  get activeChanged(): ISignal<this, void> {
    return this._activeChanged;
  }

  private _commands: CommandRegistry;
  private _text: HTMLElement;
  private _run: KernelRun | null = null;
  private _activeChanged = new Signal<this, void>(this);
}
