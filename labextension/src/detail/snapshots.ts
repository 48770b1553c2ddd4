/** The Snapshots tab of the run detail panel: the notebook snapshots stored with the run, each with Restore. */
import { CommandIDs } from '../commandIds';
import { el } from '../dom';
import { RunDetail } from '../tokens';
import { DetailActions, button } from './actions';
import { formatBytes } from './data';

export function renderSnapshots(section: HTMLElement, d: RunDetail, actions: DetailActions): void {
  const list = el('table', 'jt-snapshots');
  const explain: Record<string, string> = {
    executed: 'the code the kernel ran, in order',
    saved: 'the .ipynb file on disk',
    live: 'the notebook open in JupyterLab, unsaved edits included',
    script: 'the script that ran'
  };
  for (const snap of d.snapshots) {
    const tr = el('tr', 'jt-snapshot');
    tr.dataset.which = snap.which;
    tr.dataset.at = snap.at;
    const restore = button('Restore', 'jt-restore', () => {
      restore.disabled = true;
      void actions.run(CommandIDs.restoreSnapshot, { which: snap.which, at: snap.at })
        .catch(error => actions.flash(String(error)))
        .finally(() => {
          restore.disabled = false;
        });
    });
    restore.disabled = !actions.commands.hasCommand(CommandIDs.restoreSnapshot);
    tr.append(
      el('td', 'jt-snapshot-which', snap.which),
      el('td', '', `at ${snap.at}`),
      el('td', 'jt-snapshot-note', explain[snap.which] ?? ''),
      el('td', '', formatBytes(snap.size)),
      el('td', '', '')
    );
    tr.lastElementChild!.append(restore);
    list.append(tr);
  }
  section.replaceChildren(d.snapshots.length ? list : el('p', 'jt-empty', 'No notebook snapshots stored with this run.'));
}
