/** The extension's command ids, in a module of their own: the panels run commands that commands.ts registers and
 * commands.ts imports the panels, so the ids cannot live there without an import cycle. */
export namespace CommandIDs {
  export const openRun = 'jupyter-track:open-run';
  export const restoreSnapshot = 'jupyter-track:restore-snapshot';
  export const openSourceNotebook = 'jupyter-track:open-source-notebook';
  export const compare = 'jupyter-track:compare';
  export const copyRunId = 'jupyter-track:copy-run-id';
  export const deleteRun = 'jupyter-track:delete-run';
  export const editRun = 'jupyter-track:edit-run';
  export const showSidebar = 'jupyter-track:show-sidebar';
  export const refresh = 'jupyter-track:refresh';
}
