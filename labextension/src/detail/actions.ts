/** What the detail panel's tabs may ask of the panel: run a command on the run, say something, make buttons. */
import { CommandRegistry } from '@lumino/commands';

import { el } from '../dom';

export interface DetailActions {
  readonly commands: CommandRegistry;
  /** Run `command` with the run's `{project, runId}` (plus `extra`). */
  run(command: string, extra?: Record<string, unknown>): Promise<unknown>;
  /** A button that runs `command` on the run (disabled when the command is not there), then `after`. */
  commandButton(label: string, command: string, after?: () => void): HTMLButtonElement;
  /** Show `message` in the panel's head for a few seconds. */
  flash(message: string): void;
}

/** A panel button. */
export function button(label: string, cls: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', `jp-Button jt-detail-button ${cls}`, label);
  b.type = 'button';
  b.addEventListener('click', onClick);
  return b;
}
