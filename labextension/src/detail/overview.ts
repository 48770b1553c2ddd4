/**
 * The Overview tab of the run detail panel: state, times, alerts, git, host, hardware, packages, files, capture
 * errors.
 */
import { CommandIDs } from '../commandIds';
import { el } from '../dom';
import { formatDateTime, formatDuration } from '../format';
import { requestAPI } from '../request';
import { RunDetail, RunRow } from '../tokens';
import { DetailActions } from './actions';
import { configText, formatBytes } from './data';

export function renderOverview(section: HTMLElement, d: RunDetail, actions: DetailActions): void {
  const meta = d.meta || {};
  const facts = el('dl', 'jt-facts');
  const fact = (label: string, value: string | Node, key?: string) => {
    const dt = el('dt', '', label);
    const dd = el('dd');
    dd.dataset.fact = key ?? label.toLowerCase();
    dd.append(value);
    facts.append(dt, dd);
    return dd;
  };
  const state = el('span', 'jt-state', d.state);
  state.dataset.state = d.state;
  fact('State', state);
  fact('Started', formatDateTime(d.created_at));
  fact('Finished', d.state === 'running' ? 'still running' : formatDateTime(d.finished_at ?? d.updated_at));
  fact('Duration', formatDuration(d.duration), 'duration');
  if (d.last_step !== null && d.last_step !== undefined) {
    fact('Last step', String(d.last_step), 'last-step');
  }
  if (d.group) {
    fact('Group', d.group);
  }
  if (d.job_type) {
    fact('Job type', d.job_type, 'job-type');
  }
  if (d.tags?.length) {
    const tags = el('span');
    d.tags.forEach(t => tags.append(el('span', 'jt-tag', t)));
    fact('Tags', tags);
  }
  if (d.notes) {
    fact('Notes', el('span', 'jt-notes', d.notes));
  }
  const alerts: any[] = Array.isArray(meta.alerts) ? meta.alerts : [];
  if (alerts.length) {
    // run.alert(...): newest first
    const list = el('ul', 'jt-alerts');
    for (const a of [...alerts].reverse()) {
      const item = el('li', 'jt-alert');
      item.dataset.level = String(a.level ?? 'INFO');
      const when = typeof a.step === 'number' ? ` (step ${a.step})` : '';
      item.append(
        el('span', 'jt-alert-level', String(a.level ?? 'INFO')),
        el('strong', 'jt-alert-title', ` ${a.title ?? ''}`),
        document.createTextNode(`${a.text ? `: ${a.text}` : ''}${when} · ${formatDateTime(a.time)}`)
      );
      list.append(item);
    }
    fact('Alerts', list);
  }
    const notebook = d.notebook ?? meta.notebook?.path ?? null;
  if (notebook) {
    const link = el('a', 'jt-notebook-link', notebook);
    link.href = '#';
    link.title = 'Open the notebook this run was started from';
    link.addEventListener('click', ev => {
      ev.preventDefault();
      void actions.run(CommandIDs.openSourceNotebook).catch(error => actions.flash(String(error)));
    });
    fact('Notebook', link);
  }
  const git = meta.git;
  if (git && typeof git === 'object') {
    const box = el('div', 'jt-git');
    const commit = typeof git.commit === 'string' ? git.commit : null;
    box.append(el('code', 'jt-git-commit', commit ? commit.slice(0, 12) : 'no commit yet'));
    if (git.branch) {
      box.append(el('span', 'jt-git-branch', ` on ${git.branch}`));
    }
    const dirty = el('span', 'jt-git-dirty', git.dirty ? 'uncommitted changes' : git.dirty === false ? 'clean' : '');
    dirty.dataset.dirty = String(Boolean(git.dirty));
    box.append(dirty);
    if (git.remote) {
      box.append(el('div', 'jt-git-remote', String(git.remote)));
    }
    if (typeof git.diff_sha256 === 'string') {
      const diff = el('details', 'jt-git-diff');
      const summary = el('summary', '', `diff against HEAD (${formatBytes(git.diff_bytes)})`);
      const pre = el('pre', 'jt-diff');
      diff.append(summary, pre);
      diff.addEventListener('toggle', () => {
        if (diff.open && !pre.dataset.loaded) {
          pre.dataset.loaded = 'loading';
          pre.textContent = 'loading…';
          requestAPI<unknown>(`blobs/${git.diff_sha256}`).then(
            text => {
              pre.textContent = typeof text === 'string' ? text : JSON.stringify(text, null, 1);
              pre.dataset.loaded = 'true';
            },
            error => {
              pre.textContent = `could not load the diff: ${error instanceof Error ? error.message : error}`;
              delete pre.dataset.loaded;
            }
          );
        }
      });
      box.append(diff);
    }
    fact('Git', box);
  }
  const host = d.host ?? meta.platform?.hostname;
  if (host) {
    fact('Host', `${host}${d.pid ? ` (pid ${d.pid})` : ''}`);
  }
  if (meta.platform?.os) {
    fact('Platform', String(meta.platform.os));
  }
  const hw = meta.hardware;
  if (hw) {
    const parts = [hw.cpu_model, hw.cpu_count ? `${hw.cpu_count} CPUs` : '', hw.memory_total_gb ? `${hw.memory_total_gb} GB RAM` : ''];
    fact('Hardware', parts.filter(Boolean).join(' · '));
  }
  const gpus: any[] = Array.isArray(meta.gpus) ? meta.gpus : [];
  if (meta.gpus !== undefined) {
    fact(
      'GPU',
      gpus.length
        ? gpus.map(g => `${g.name ?? 'GPU'}${g.memory_total_mb ? ` (${Math.round(g.memory_total_mb / 1024)} GB)` : ''}`).join(', ') +
            (meta.gpu_driver ? ` · driver ${meta.gpu_driver}` : '')
        : 'none'
    );
  }
  if (meta.python?.version) {
    fact('Python', `${meta.python.version} ${meta.python.implementation ?? ''}`.trim());
  }
  if (meta.frameworks && Object.keys(meta.frameworks).length) {
    fact('Frameworks', Object.entries(meta.frameworks).map(([k, v]) => `${k} ${configText(v)}`).join(', '));
  }
  if (meta.packages && typeof meta.packages === 'object') {
    const entries = Object.entries(meta.packages as Record<string, string>);
    const box = el('details', 'jt-packages');
    box.append(el('summary', '', `${entries.length} packages`));
    const list = el('ul', 'jt-package-list');
    for (const [name, version] of entries) {
      list.append(el('li', '', `${name}==${version}`));
    }
    box.append(list);
    fact('Packages', box);
  }
  if (d.files?.length) {
    const list = el('ul', 'jt-files');
    d.files.forEach(f => list.append(el('li', '', `${f.name} (${formatBytes(f.size)})`)));
    fact('Files', list);
  }
  if (Array.isArray(meta.errors) && meta.errors.length) {
    fact('Capture errors', el('span', 'jt-detail-warn', meta.errors.join('; ')), 'capture-errors');
  }
  if (d.exit_code !== null && d.exit_code !== undefined && d.exit_code !== 0) {
    fact('Exit code', String(d.exit_code), 'exit-code');
  }
  section.replaceChildren(facts);
}

/** A live run's new row: the duration grows. */
export function updateOverview(section: HTMLElement, row: RunRow): void {
  if (typeof row.duration === 'number') {
    const dd = section.querySelector('[data-fact="duration"]');
    if (dd) {
      dd.textContent = formatDuration(row.duration);
    }
  }
}
