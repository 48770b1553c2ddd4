/**
 * The jupyter_track JupyterLab extension: the "Runs" sidebar, the run and compare panels, the commands, the
 * status bar item and the live-notebook snapshot. Everything it shows comes from the server extension's REST
 * API (`<base_url>/jupyter-track/api/`); it never writes runs, only edits, deletes and live snapshots.
 */
import { ILabShell, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';

import { CATEGORY, addCommands, addContextMenu, paletteCommands } from './commands';
import { KernelRunTracker } from './kernelRuns';
import { RunsSidebar, SidebarSettings } from './sidebar';
import { ActiveRunStatus } from './statusbar';

const PLUGIN_ID = 'jupyter-track:plugin';

const DEFAULTS: SidebarSettings = { pollInterval: 2000, metricColumns: [], pageSize: 50 };

function readSettings(settings: ISettingRegistry.ISettings | null): SidebarSettings {
  if (!settings) {
    return { ...DEFAULTS };
  }
  const poll = Number(settings.get('pollInterval').composite);
  const size = Number(settings.get('pageSize').composite);
  const columns = settings.get('metricColumns').composite;
  return {
    pollInterval: Number.isFinite(poll) && poll >= 250 ? poll : DEFAULTS.pollInterval,
    pageSize: Number.isFinite(size) && size >= 1 ? Math.min(1000, Math.floor(size)) : DEFAULTS.pageSize,
    metricColumns: Array.isArray(columns) ? columns.filter((c): c is string => typeof c === 'string') : []
  };
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'Experiment tracking in JupyterLab: runs sidebar, run detail, compare, snapshots.',
  autoStart: true,
  optional: [ILabShell, ICommandPalette, INotebookTracker, ISettingRegistry, IStatusBar],
  activate: async (
    app: JupyterFrontEnd,
    shell: ILabShell | null,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    registry: ISettingRegistry | null,
    statusBar: IStatusBar | null
  ) => {
    let settings: ISettingRegistry.ISettings | null = null;
    if (registry) {
      try {
        settings = await registry.load(PLUGIN_ID);
      } catch (error) {
        console.warn('jupyter-track: settings not loaded, using defaults:', error);
      }
    }
    let current = readSettings(settings);

    const sidebar = new RunsSidebar({ commands: app.commands, settings: current });
    app.shell.add(sidebar, 'left', { rank: 850 });

    addCommands({ app, shell, sidebar, pollInterval: () => current.pollInterval });
    addContextMenu(app);
    if (palette) {
      for (const command of paletteCommands) {
        palette.addItem({ command, category: CATEGORY });
      }
    }

    let tracker: KernelRunTracker | null = null;
    if (notebooks) {
      tracker = new KernelRunTracker({ tracker: notebooks, pollInterval: current.pollInterval });
      if (statusBar) {
        const item = new ActiveRunStatus({ commands: app.commands });
        statusBar.registerStatusItem('jupyter-track:active-run', {
          item,
          align: 'left',
          rank: 5,
          isActive: () => item.hasRun,
          activeStateChanged: item.activeChanged
        });
        tracker.changed.connect((_, run) => item.setRun(run));
      }
    }

    settings?.changed.connect(() => {
      current = readSettings(settings);
      sidebar.updateSettings(current);
      if (tracker) {
        tracker.pollInterval = current.pollInterval;
      }
    });
  }
};

export default plugin;
