/**
 * The run detail panel (main area): overview, config, summary, charts of every metric (live while the run is
 * running), system charts, media, tables and notebook snapshots of one run.
 *
 * This is the shell: the head (name, state, buttons) and the tab bar. Each tab renders from its own module in
 * this folder; the data, and the live polling, belong to the model (model.ts). Everything that comes from the
 * store goes into the DOM as text (textContent), never as HTML.
 */
import { CommandRegistry } from '@lumino/commands';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from '../commandIds';
import { el } from '../dom';
import { RunDetail } from '../tokens';
import { DetailActions, button } from './actions';
import { ChartsView } from './charts';
import { renderConfig } from './config';
import { mediaAndTableKeys } from './data';
import { renderMedia } from './media';
import { RunDetailModel } from './model';
import { renderOverview, updateOverview } from './overview';
import { renderSnapshots } from './snapshots';
import { renderSummary } from './summary';
import { renderTables } from './tables';

import '../../style/detail.css';

type Tab = 'overview' | 'config' | 'summary' | 'charts' | 'system' | 'media' | 'tables' | 'snapshots';
const TABS: [Tab, string][] = [
  ['overview', 'Overview'],
  ['config', 'Config'],
  ['summary', 'Summary'],
  ['charts', 'Charts'],
  ['system', 'System'],
  ['media', 'Media'],
  ['tables', 'Tables'],
  ['snapshots', 'Snapshots']
];

/** A DOM-safe widget id for a run. */
export function panelId(project: string, runId: string): string {
  return `jupyter-track-run-detail-${project}-${runId}`.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** The detail panel of one run; the open-run command (commands.ts) opens it in the main area. */
export class RunDetailPanel extends Widget {
  readonly project: string;
  readonly runId: string;
  /** The run and its charts' points, followed live while the run runs. */
  readonly model: RunDetailModel;
  private readonly commands: CommandRegistry;
  private readonly actions: DetailActions;
  private readonly head = el('div', 'jt-detail-head');
  private readonly tabBar = el('div', 'jt-detail-tabs');
  private readonly body = el('div', 'jt-detail-body');
  private readonly sections = new Map<Tab, HTMLElement>();
  private readonly charts: ChartsView;
  private active: Tab = 'overview';
  private loaded = new Set<Tab>(); // lazily filled tabs (media, tables) already loaded for this detail

  constructor(options: { project: string; runId: string; pollInterval: number; commands: CommandRegistry }) {
    super();
    this.project = options.project;
    this.runId = options.runId;
    this.commands = options.commands;
    this.id = panelId(this.project, this.runId);
    this.addClass('jt-detail');
    this.title.label = this.runId;
    this.title.caption = `${this.project}/${this.runId}`;
    this.title.closable = true;
    for (const [tab, label] of TABS) {
      const b = el('button', 'jt-detail-tab', label);
      b.type = 'button';
      b.dataset.tab = tab;
      b.addEventListener('click', () => this.showTab(tab));
      this.tabBar.append(b);
      const section = el('div', 'jt-detail-section');
      section.dataset.section = tab;
      this.sections.set(tab, section);
      this.body.append(section);
    }
    this.node.append(this.head, this.tabBar, this.body);
    this.node.dataset.project = this.project;
    this.node.dataset.runId = this.runId;
    this.charts = new ChartsView(this.sections.get('charts')!, this.sections.get('system')!);
    this.actions = {
      commands: this.commands,
      run: (command, extra = {}) =>
        this.commands.execute(command, { project: this.project, runId: this.runId, ...extra }),
      commandButton: (label, command, after) => this.commandButton(label, command, after),
      flash: message => this.flash(message)
    };
    this.model = new RunDetailModel({
      project: this.project,
      runId: this.runId,
      pollInterval: options.pollInterval,
      visible: () => this.isVisible
    });
    this.model.loaded.connect((_, detail) => this.render(detail));
    this.model.failed.connect((_, error) => this.showError(error));
    this.model.chartsChanged.connect((model, keys) => this.charts.draw(model.charts, keys));
    this.model.keysAdded.connect((_, keys) => {
      this.charts.add(keys);
      this.tabButton('charts').hidden = false; // hidden while the run had logged no scalar yet
    });
    this.model.rowChanged.connect((_, row) => updateOverview(this.sections.get('overview')!, row));
    this.model.liveChanged.connect((_, live) => {
      if (live) {
        this.node.dataset.live = 'true';
      } else {
        delete this.node.dataset.live;
      }
    });
    this.model.notice.connect((_, message) => this.flash(message));
    this.showTab('overview');
    void this.refresh();
  }

  /** Read the run again and redraw everything (charts from their whole, downsampled histories). */
  refresh(): Promise<void> {
    return this.model.load();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.catchUp(); // came back into view: catch up now
  }

  // -- structure -------------------------------------------------------------------------------------------
  private render(detail: RunDetail): void {
    this.loaded.clear();
    this.title.label = detail.name || detail.id;
    this.node.dataset.state = detail.state;
    this.renderHead(detail);
    renderOverview(this.sections.get('overview')!, detail, this.actions);
    renderConfig(this.sections.get('config')!, detail);
    renderSummary(this.sections.get('summary')!, detail);
    renderSnapshots(this.sections.get('snapshots')!, detail, this.actions);
    this.charts.render(detail);
    const { media, tables } = mediaAndTableKeys(detail);
    const counts: Partial<Record<Tab, number>> = {
      charts: detail.keys.scalars.length,
      system: detail.keys.system.length,
      media: media.length,
      tables: tables.length,
      snapshots: detail.snapshots.length
    };
    for (const [tab] of TABS) {
      this.tabButton(tab).hidden = counts[tab] === 0;
    }
    this.showTab(this.active);
  }

  private tabButton(tab: Tab): HTMLButtonElement {
    return this.tabBar.querySelector<HTMLButtonElement>(`.jt-detail-tab[data-tab="${tab}"]`)!;
  }

  private showTab(tab: Tab): void {
    this.active = tab;
    for (const [name, section] of this.sections) {
      section.hidden = name !== tab;
    }
    this.tabBar.querySelectorAll<HTMLButtonElement>('.jt-detail-tab').forEach(b => {
      b.classList.toggle('jt-mod-active', b.dataset.tab === tab);
    });
    const detail = this.model.detail;
    if (detail && !this.loaded.has(tab) && (tab === 'media' || tab === 'tables')) {
      this.loaded.add(tab);
      const keys = mediaAndTableKeys(detail);
      if (tab === 'media') {
        renderMedia(this.sections.get('media')!, this, keys.media);
      } else {
        renderTables(this.sections.get('tables')!, this, keys.tables);
      }
    }
  }

  private showError(error: Error): void {
    const message = error.message;
    this.head.replaceChildren(el('div', 'jt-detail-error', `Could not load run ${this.project}/${this.runId}: ${message}`));
    this.node.dataset.error = message;
  }

  private commandButton(label: string, command: string, after?: () => void): HTMLButtonElement {
    const b = button(label, '', () => {
      void this.actions.run(command).then(
        () => after?.(),
        error => this.flash(String(error))
      );
    });
    b.dataset.command = command;
    b.disabled = !this.commands.hasCommand(command);
    return b;
  }

  private flash(message: string): void {
    const note = el('div', 'jt-detail-error', message);
    this.head.append(note);
    window.setTimeout(() => note.remove(), 8000);
  }

  // -- header ----------------------------------------------------------------------------------------------
  private renderHead(d: RunDetail): void {
    const title = el('div', 'jt-detail-title');
    const name = el('h2', 'jt-detail-name', d.name || d.id);
    const badge = el('span', 'jt-state', d.state);
    badge.dataset.state = d.state;
    title.append(name, badge, el('code', 'jt-detail-id', `${d.project}/${d.id}`));
    const tools = el('div', 'jt-detail-tools');
    tools.append(
      button('Refresh', 'jt-refresh', () => void this.refresh()),
      this.commandButton('Open notebook', CommandIDs.openSourceNotebook),
      this.commandButton('Copy id', CommandIDs.copyRunId),
      this.commandButton('Edit…', CommandIDs.editRun, () => void this.refresh()),
      this.commandButton('Delete…', CommandIDs.deleteRun, () => void this.refresh())
    );
    this.head.replaceChildren(title, tools);
    delete this.node.dataset.error;
  }
}
