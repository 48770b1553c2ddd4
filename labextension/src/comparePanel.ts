/**
 * The compare panel (main area): the selected runs in the compare widget's own view — overlaid curves of their
 * common metrics with a legend, the config diff (only keys that differ, plus summary metrics), parallel
 * coordinates, importance and a scatter — and, when the runs have groups, a "by group" view with each group's
 * mean and min/max band.
 *
 * The view is jupyter_track/widgets/static/compare.js (the one `jt.compare()` renders in a notebook), bundled
 * here and fed by `GET compare` through a stand-in model (compareModel.ts); the data is built by the same
 * Python code as the widget's (jupyter_track.analysis.comparison.comparison). One view, one payload builder.
 */
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import compareView from '../../jupyter_track/widgets/static/compare.js';
import { CommandIDs } from './commandIds';
import { CompareModel } from './compareModel';
import { el } from './dom';
import { Query, requestAPI } from './request';
import { CompareAnswer } from './tokens';

import '../style/compare.css'; // @imports the widget's own compare.css

let counter = 0;

/** Overlaid curves and the config diff of `runs`; the "Compare selected runs" command (commands.ts) opens it. */
export class ComparePanel extends Widget {
  readonly runs: { project: string; runId: string }[];
  private readonly commands: CommandRegistry;
  private readonly bar = document.createElement('div');
  private readonly host = document.createElement('div');
  private byGroup = false;
  private cleanup: (() => void) | null = null;
  private generation = 0;

  constructor(options: { runs: { project: string; runId: string }[]; commands: CommandRegistry }) {
    super();
    this.runs = options.runs;
    this.commands = options.commands;
    this.id = `jupyter-track-compare-${++counter}`;
    this.addClass('jt-compare-panel');
    this.title.label = `Compare ${this.runs.length} runs`;
    this.title.caption = this.runs.map(r => `${r.project}/${r.runId}`).join('\n');
    this.title.closable = true;
    this.bar.className = 'jt-compare-bar';
    this.host.className = 'jt-compare-host';
    this.node.append(this.bar, this.host);
    void this.load();
  }

  /** Read the comparison again (after a run changed, or to switch the grouping). */
  async load(importance?: string): Promise<void> {
    const generation = ++this.generation;
    this.node.dataset.loading = 'true';
    let answer: CompareAnswer;
    try {
      answer = await this.compare({ importance });
    } catch (error) {
      if (generation === this.generation) {
        delete this.node.dataset.loading;
        const message = el('div', 'jt-detail-error', `Could not compare: ${error instanceof Error ? error.message : error}`);
        this.host.replaceChildren(message);
      }
      return;
    }
    if (this.isDisposed || generation !== this.generation) {
      return;
    }
    delete this.node.dataset.loading;
    this.renderBar(answer);
    this.cleanup?.();
    this.host.replaceChildren();
    const model = new CompareModel(answer, (m, changed) => {
      if (changed.includes('importance_metric')) {
        void this.importance(m, String(m.get('importance_metric')));
      }
    });
    const detach = compareView.render({ model, el: this.host });
    this.cleanup = () => {
      if (typeof detach === 'function') {
        detach();
      }
      model.off();
    };
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.generation++;
    this.cleanup?.();
    super.dispose();
  }

  /** `GET compare` for these runs, grouped as the toggle says. */
  private compare(query: Query): Promise<CompareAnswer> {
    const runs = this.runs.map(r => `${r.project}/${r.runId}`).join(',');
    const group_by = this.byGroup ? 'group' : undefined;
    return requestAPI<CompareAnswer>('compare', { query: { runs, group_by, ...query } });
  }

  /** The view picked another metric for parameter importance: ask the server, as the kernel would compute it. */
  private async importance(model: CompareModel, metric: string): Promise<void> {
    try {
      const metrics = (model.get('metrics') as string[]).join(',');
      const answer = await this.compare({ metrics, importance: metric });
      model.update({ importance: { ...model.get('importance'), ...answer.importance } });
    } catch (error) {
      model.update({
        importance: { ...model.get('importance'), [metric]: { rows: [], note: `importance failed: ${error}` } }
      });
    }
  }

  private renderBar(answer: CompareAnswer): void {
    const groups = new Set(answer.runs.map(r => r.run_group).filter(Boolean));
    const canGroup = this.byGroup || this.sharedGroups(answer);
    const parts: Node[] = [el('span', 'jt-compare-count', `${answer.total_runs} runs · ${answer.metrics.length} common metrics`)];
    if (canGroup) {
      const label = el('label', 'jt-compare-group-toggle');
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = this.byGroup;
      box.addEventListener('change', () => {
        this.byGroup = box.checked;
        void this.load();
      });
      label.append(box, document.createTextNode(` by group (mean and min/max band${groups.size ? ` of ${groups.size} groups` : ''})`));
      parts.push(label);
    }
    const refresh = el('button', 'jp-Button jt-detail-button', 'Refresh');
    refresh.addEventListener('click', () => void this.load());
    parts.push(refresh);
    if (this.commands.hasCommand(CommandIDs.openRun)) {
      const open = el('span', 'jt-compare-open');
      open.append('Open: ');
      answer.runs.forEach(run => {
        const link = el('a', 'jt-compare-run-link', run.name);
        link.href = '#';
        link.style.borderBottomColor = run.color;
        link.addEventListener('click', ev => {
          ev.preventDefault();
          void this.commands.execute(CommandIDs.openRun, { project: run.project, runId: run.id });
        });
        open.append(link, ' ');
      });
      parts.push(open);
    }
    this.bar.replaceChildren(...parts);
  }

  /** Whether grouping says anything: some group holds two or more of the runs. */
  private sharedGroups(answer: CompareAnswer): boolean {
    const sizes = new Map<string, number>();
    for (const run of answer.runs) {
      if (run.run_group) {
        sizes.set(run.run_group, (sizes.get(run.run_group) ?? 0) + 1);
      }
    }
    return [...sizes.values()].some(n => n >= 2);
  }
}
