/**
 * The extension's commands (palette category "Experiment tracking", the sidebar's context menu, the detail
 * panel's buttons). Each takes `{project, runId}` (or `{runs}`) and falls back to the sidebar's selection, so the
 * same command serves a button, a context menu and the palette.
 */
import { ILabShell, JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard, Dialog, MainAreaWidget, Notification, showDialog } from '@jupyterlab/apputils';
import { PageConfig } from '@jupyterlab/coreutils';
import { CommandRegistry } from '@lumino/commands';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from './commandIds';
import { ComparePanel } from './comparePanel';
import { RunDetailPanel } from './detail/panel';
import { runsIcon } from './icons';
import { defaultSnapshot, deletePrompt, isRunningConflict, notebookInRoot, parseTags } from './logic';
import { APIError, RunRef, requestAPI, runPath } from './request';
import { RunsSidebar } from './sidebar';
import { DeleteAnswer, RestoreAnswer, RunDetail, RunRow } from './tokens';

/** The palette category of the commands. */
export const CATEGORY = 'Experiment tracking';

/** What the commands need from the plugin. */
export interface CommandContext {
  app: JupyterFrontEnd;
  shell: ILabShell | null;
  sidebar: RunsSidebar;
  pollInterval: () => number;
}

/** One detail tab per run: re-activated when open. */
const detailTabs = new Map<string, MainAreaWidget<RunDetailPanel>>();

/** The key of a run's detail tab in `detailTabs`. */
function runKey(ref: RunRef): string {
  return `${ref.project}/${ref.runId}`;
}

/** The run a command is about: its arguments, else the sidebar's context-menu run or single selection. */
function runArg(args: ReadonlyPartialJSONObject, sidebar: RunsSidebar): RunRef | null {
  const project = args.project as string | undefined;
  const runId = args.runId as string | undefined;
  if (project && runId) {
    return { project, runId };
  }
  return sidebar.contextRun();
}

/** `isEnabled` and `execute` of a command about one run (see `runArg`): disabled without one, else `body` runs. */
function aboutRun(
  sidebar: RunsSidebar,
  body: (ref: RunRef, args: ReadonlyPartialJSONObject) => unknown
): Pick<CommandRegistry.ICommandOptions, 'isEnabled' | 'execute'> {
  return {
    isEnabled: args => runArg(args, sidebar) !== null,
    execute: args => {
      const ref = runArg(args, sidebar);
      return ref ? body(ref, args) : undefined;
    }
  };
}

function runsArg(args: ReadonlyPartialJSONObject, sidebar: RunsSidebar): RunRef[] {
  const given = args.runs as unknown as RunRef[] | undefined;
  if (Array.isArray(given) && given.length > 0) {
    return given.filter(r => r && typeof r.project === 'string' && typeof r.runId === 'string');
  }
  return sidebar.selectedRuns();
}

function fail(what: string, error: unknown): void {
  Notification.error(`${what}: ${(error as Error).message ?? String(error)}`, { autoClose: 8000 });
}

export function addCommands(ctx: CommandContext): void {
  const { app, sidebar } = ctx;
  const { commands } = app;

  commands.addCommand(CommandIDs.showSidebar, {
    label: 'Show Runs Sidebar',
    caption: 'Open the jupyter_track "Runs" sidebar',
    icon: runsIcon,
    execute: () => app.shell.activateById(sidebar.id)
  });

  commands.addCommand(CommandIDs.refresh, {
    label: 'Reload Runs',
    execute: () => sidebar.refresh()
  });

  commands.addCommand(CommandIDs.openRun, {
    label: 'Open Run',
    caption: 'Open the run\'s detail panel',
    ...aboutRun(sidebar, ref => {
      const key = runKey(ref);
      const open = detailTabs.get(key);
      if (open && !open.isDisposed) {
        app.shell.activateById(open.id);
        return open;
      }
      const content = new RunDetailPanel({
        project: ref.project,
        runId: ref.runId,
        pollInterval: ctx.pollInterval(),
        commands
      });
      const widget = new MainAreaWidget({ content });
      widget.id = `jupyter-track-run-${cssId(key)}`;
      widget.title.label = `Run ${ref.runId.slice(0, 8)}`;
      widget.title.caption = `jupyter_track run ${key}`;
      widget.title.icon = runsIcon;
      widget.title.closable = true;
      widget.addClass('jp-TrackDetailTab');
      detailTabs.set(key, widget);
      widget.disposed.connect(() => detailTabs.delete(key));
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget; // the panel's first read names the tab after the run (MainAreaWidget mirrors its title)
    })
  });

  commands.addCommand(CommandIDs.restoreSnapshot, {
    label: args => (args.which ? `Restore ${String(args.which)} Notebook Snapshot` : 'Restore Notebook Snapshot'),
    caption: 'Write the run\'s notebook snapshot as a new notebook and open it',
    ...aboutRun(sidebar, async (ref, args) => {
      try {
        let which = args.which as string | undefined;
        if (!which) {
          const detail = await requestAPI<RunDetail>(runPath(ref));
          which = defaultSnapshot(detail.snapshots) ?? undefined;
          if (!which) {
            Notification.warning(
              `Run ${detail.name} has no notebook snapshot (its notebook was not captured).`,
              { autoClose: 8000 }
            );
            return;
          }
        }
        const body: Record<string, unknown> = { which };
        if (typeof args.at === 'string') {
          body.at = args.at;
        }
        if (typeof args.path === 'string' && args.path) {
          body.path = args.path;
        }
        const answer = await requestAPI<RestoreAnswer>(runPath(ref, '/restore'), { method: 'POST', body });
        Notification.success(`Restored the ${which} snapshot as ${answer.path}`, { autoClose: 5000 });
        return await commands.execute('docmanager:open', { path: answer.path });
      } catch (error) {
        fail('Could not restore the snapshot', error);
      }
    })
  });

  commands.addCommand(CommandIDs.openSourceNotebook, {
    label: 'Open Source Notebook',
    caption: 'Open the notebook the run was started from',
    ...aboutRun(sidebar, async ref => {
      try {
        const run = await requestAPI<RunRow>(runPath(ref));
        const found = notebookInRoot(run.notebook, PageConfig.getOption('serverRoot'));
        if ('error' in found) {
          Notification.warning(`Cannot open the source notebook of ${run.name}: ${found.error}.`, {
            autoClose: 10000
          });
          return;
        }
        try {
          await app.serviceManager.contents.get(found.path, { content: false });
        } catch {
          Notification.warning(
            `The source notebook of ${run.name}, ${found.path}, no longer exists (moved or deleted). ` +
              'Restore a snapshot instead.',
            { autoClose: 10000 }
          );
          return;
        }
        return await commands.execute('docmanager:open', { path: found.path });
      } catch (error) {
        fail('Could not open the source notebook', error);
      }
    })
  });

  commands.addCommand(CommandIDs.compare, {
    label: args => {
      const n = runsArg(args, sidebar).length;
      return n > 0 ? `Compare Selected Runs (${n})` : 'Compare Selected Runs';
    },
    caption: 'Overlaid curves and config differences of the selected runs',
    isEnabled: args => runsArg(args, sidebar).length > 0,
    execute: args => {
      const runs = runsArg(args, sidebar);
      if (runs.length === 0) {
        return;
      }
      const content = new ComparePanel({ runs, commands });
      const widget = new MainAreaWidget({ content });
      widget.id = `jupyter-track-compare-${Date.now().toString(36)}`;
      widget.title.icon = runsIcon; // the label and caption come from the panel
      widget.addClass('jp-TrackCompareTab');
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    }
  });

  commands.addCommand(CommandIDs.copyRunId, {
    label: 'Copy Run Id',
    ...aboutRun(sidebar, ref => {
      Clipboard.copyToSystem(ref.runId);
      Notification.info(`Copied run id ${ref.runId}`, { autoClose: 3000 });
    })
  });

  commands.addCommand(CommandIDs.deleteRun, {
    label: 'Delete Run…',
    caption: 'Delete the run and everything it logged (asks first; a running run only when confirmed again)',
    ...aboutRun(sidebar, async ref => {
      // what the sidebar row or the open detail panel knows; the server's 409 tells of a run still running too
      const known: RunRow | null =
        sidebar.rows.find(r => r.id === ref.runId && r.project === ref.project) ??
        detailTabs.get(runKey(ref))?.content.model.detail ??
        null;
      const label = known?.name ?? ref.runId;
      let running = known?.state === 'running';
      for (;;) {
        const prompt = deletePrompt(label, ref, running);
        const answer = await showDialog({
          title: prompt.title,
          body: prompt.body,
          buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: prompt.accept })]
        });
        if (!answer.button.accept) {
          return false;
        }
        try {
          await requestAPI<DeleteAnswer>(runPath(ref), {
            method: 'DELETE',
            query: { force: prompt.force ? 1 : undefined }
          });
          break;
        } catch (error) {
          if (!running && error instanceof APIError && isRunningConflict(error.status, error.body)) {
            running = true; // it runs after all: ask again, saying what its process loses
            continue;
          }
          fail('Could not delete the run', error);
          return false;
        }
      }
      detailTabs.get(runKey(ref))?.dispose();
      await sidebar.refresh();
      return true;
    })
  });

  commands.addCommand(CommandIDs.editRun, {
    label: 'Edit Name, Tags and Notes…',
    ...aboutRun(sidebar, async ref => {
      let run: RunRow;
      try {
        run = await requestAPI<RunRow>(runPath(ref));
      } catch (error) {
        fail('Could not read the run', error);
        return;
      }
      const form = new EditRunForm(run);
      const answer = await showDialog({
        title: `Edit run ${run.name}`,
        body: form,
        buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Save' })],
        focusNodeSelector: 'input'
      });
      if (!answer.button.accept || !answer.value) {
        return;
      }
      try {
        const edited = await requestAPI<RunRow>(runPath(ref), { method: 'PATCH', body: answer.value });
        await sidebar.reload();
        const tab = detailTabs.get(runKey(ref));
        if (tab) {
          tab.title.label = edited.name;
          void tab.content.refresh();
        }
        return edited;
      } catch (error) {
        fail('Could not save the run', error);
      }
    })
  });

  paletteCommands.push(
    CommandIDs.showSidebar,
    CommandIDs.refresh,
    CommandIDs.compare,
    CommandIDs.openRun,
    CommandIDs.restoreSnapshot,
    CommandIDs.openSourceNotebook,
    CommandIDs.copyRunId,
    CommandIDs.editRun,
    CommandIDs.deleteRun
  );
  sidebar.selectionChanged.connect(() => {
    for (const id of paletteCommands) {
      commands.notifyCommandChanged(id);
    }
  });
}

/** Commands shown in the palette (added by the plugin when the palette is there). */
export const paletteCommands: string[] = [];

/** The context menu of a run row in the sidebar. */
export function addContextMenu(app: JupyterFrontEnd): void {
  const selector = '.jp-TrackSidebar-row';
  const items = [
    CommandIDs.openRun,
    CommandIDs.restoreSnapshot,
    CommandIDs.openSourceNotebook,
    CommandIDs.compare,
    CommandIDs.copyRunId,
    CommandIDs.editRun,
    CommandIDs.deleteRun
  ];
  items.forEach((command, i) => app.contextMenu.addItem({ command, selector, rank: i + 1 }));
}

/** The dialog body of "Edit run": name, tags (comma separated) and notes. */
class EditRunForm extends Widget implements Dialog.IBodyWidget<Record<string, unknown>> {
  constructor(run: RunRow) {
    super();
    this.addClass('jp-TrackEditForm');
    this._name = field(this.node, 'Name', 'input') as HTMLInputElement;
    this._name.value = run.name;
    this._tags = field(this.node, 'Tags (comma separated)', 'input') as HTMLInputElement;
    this._tags.value = run.tags.join(', ');
    this._notes = field(this.node, 'Notes', 'textarea') as HTMLTextAreaElement;
    this._notes.value = run.notes ?? '';
  }

  getValue(): Record<string, unknown> {
    return { name: this._name.value, tags: parseTags(this._tags.value), notes: this._notes.value || null };
  }

  private _name: HTMLInputElement;
  private _tags: HTMLInputElement;
  private _notes: HTMLTextAreaElement;
}

function field(parent: HTMLElement, label: string, tag: 'input' | 'textarea'): HTMLElement {
  const wrap = document.createElement('label');
  wrap.className = 'jp-TrackEditForm-field';
  const text = document.createElement('span');
  text.textContent = label;
  const input = document.createElement(tag);
  input.className = tag === 'input' ? 'jp-mod-styled jp-TrackEditForm-input' : 'jp-mod-styled jp-TrackEditForm-notes';
  wrap.append(text, input);
  parent.appendChild(wrap);
  return input;
}

function cssId(key: string): string {
  return key.replace(/[^A-Za-z0-9_-]/g, '_');
}
