// The live run panel: header, controls, and one canvas chart per metric, grouped by prefix.
// Data arrives as (step, value, wall time) Float64 buffers in custom messages (new points, or a whole
// series when the kernel re-buckets it) and as a compact Float32 snapshot trait (the saved final state).
// Charts logged with jt.plot arrive in the `charts` trait, drawn by the kernel as SVG (widgets/chart_view.py).
// Axes, gridlines, ticks and the crosshair tooltip come from chart_core.js, shared with the other charts.
import { crosshair, drawAxes, ink, onThemeChange } from "./chart_core.js";

const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

function f64(b) {
  if (b instanceof Float64Array) return b;
  const buf = b.buffer ? b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) : b;
  return new Float64Array(buf);
}

function decodeSnapshot(raw, startedAt) {
  const out = new Map();
  if (!raw || !raw.byteLength) return out;
  const view = raw instanceof DataView ? raw : new DataView(raw.buffer || raw, raw.byteOffset || 0, raw.byteLength);
  const headerLen = view.getUint32(0, true);
  const bytes = new Uint8Array(view.buffer, view.byteOffset + 4, headerLen);
  const header = JSON.parse(new TextDecoder().decode(bytes));
  let offset = view.byteOffset + 4 + headerLen + ((4 - (headerLen % 4)) % 4);
  for (const [key, n] of header.keys) {
    const read = () => {
      const arr = new Float32Array(view.buffer.slice(offset, offset + 4 * n));
      offset += 4 * n;
      return Array.from(arr);
    };
    const s = read(), v = read(), t = read().map((x) => x + startedAt);
    out.set(key, { s, v, t });
  }
  return out;
}

function groupOf(key) {
  const i = key.indexOf("/");
  return i > 0 ? key.slice(0, i) : "charts";
}

function fmt(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(3) : String(Number(x.toPrecision(5)));
}

function ema(values, alpha) {
  if (!alpha) return values;
  const out = new Array(values.length);
  let acc = null;
  for (let i = 0; i < values.length; i++) {
    const y = values[i];
    if (!Number.isFinite(y)) { out[i] = y; continue; }
    acc = acc === null ? y : alpha * acc + (1 - alpha) * y;
    out[i] = acc;
  }
  return out;
}

function text(tag, cls, content) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (content !== undefined) node.textContent = content;  // never innerHTML: names and values are text
  return node;
}

// Runs this page saw start (their model came from the kernel while they ran, not from a saved state): the first
// render of their panel tells the JupyterLab extension, which keeps the notebook as the run's live snapshot at
// once (its poll alone misses a run over in a second or two).
const started = new Set();

function initialize({ model }) {
  if (model.get("state") === "running") started.add(model.get("run_path"));
}

function announce(el, path, tries = 50) {
  if (el.isConnected) el.dispatchEvent(new CustomEvent("jupyter-track-run", { bubbles: true, detail: { path } }));
  else if (tries > 0) setTimeout(() => announce(el, path, tries - 1), 100);  // attached right after render
}

function render({ model, el }) {
  if (started.delete(model.get("run_path"))) announce(el, model.get("run_path"));
  const series = decodeSnapshot(model.get("snapshot"), model.get("started_at"));
  const charts = new Map();
  const groups = new Map();
  const root = text("div", "jt-panel");
  const head = text("div", "jt-head");
  const title = text("span", "jt-title");
  const badge = text("span", "jt-badge");
  const facts = text("span", "jt-facts");
  head.append(title, badge, facts);
  const controls = text("div", "jt-controls");
  const xSelect = document.createElement("select");
  const smooth = document.createElement("input");
  Object.assign(smooth, { type: "range", min: "0", max: "0.99", step: "0.01", value: "0" });
  const logScale = document.createElement("input");
  logScale.type = "checkbox";
  const label = (t, input) => { const l = text("label", "jt-control", t); l.append(input); return l; };
  controls.append(label("x axis ", xSelect), label("smoothing ", smooth), label(" log scale", logScale));
  // the key picker: the kernel streams the keys `shown` (its top keys, and those picked here) of `all_keys`
  const picker = text("details", "jt-picker");
  const pickerSummary = text("summary", "");
  const search = document.createElement("input");
  Object.assign(search, { type: "search", placeholder: "search keys", className: "jt-search" });
  const pickList = text("div", "jt-pick-list");
  picker.append(pickerSummary, search, pickList);
  picker.addEventListener("toggle", () => refreshPicker());
  search.addEventListener("input", () => refreshPicker());
  controls.append(picker);
  const summary = text("div", "jt-summary");
  const body = text("div", "jt-groups");
  const logged = text("details", "jt-group jt-logged");
  logged.open = true;
  const loggedGrid = text("div", "jt-grid");
  logged.append(text("summary", "", "logged charts"), loggedGrid);
  root.append(head, controls, summary, logged, body);
  el.append(root);

  function refreshXOptions() {
    const current = xSelect.value || "_default";
    // "default": each metric against its define_metric(step_metric=...), else against the step
    const options = [["_default", "default"], ["_step", "step"], ["_time", "wall time"], ["_runtime", "relative time (s)"]];
    for (const key of [...series.keys()].sort()) if (!key.startsWith("system/")) options.push([key, key]);
    if (xSelect.options.length === options.length) return;
    xSelect.replaceChildren(...options.map(([value, name]) => {
      const o = text("option", "", name); o.value = value; return o;
    }));
    xSelect.value = options.some(([v]) => v === current) ? current : "_default";
  }

  const PICK_LIST = 100;  // matches listed at most: a run may have thousands of keys
  function refreshPicker() {
    const all = model.get("all_keys") || [];
    const shown = new Set(model.get("shown") || []);
    pickerSummary.textContent = `keys: ${shown.size} of ${all.length} shown`;
    picker.style.display = all.length ? "" : "none";
    if (!picker.open) return;
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const matches = all.filter((k) => words.every((w) => k.toLowerCase().includes(w)));
    const rows = matches.slice(0, PICK_LIST).map((key) => {
      const row = text("label", "jt-pick");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = shown.has(key);
      box.dataset.key = key;
      box.addEventListener("change", () => {
        model.set("picked", { ...(model.get("picked") || {}), [key]: box.checked });
        model.save_changes();
      });
      row.append(box, document.createTextNode(" " + key));
      return row;
    });
    if (matches.length > PICK_LIST) rows.push(text("div", "jt-pick-more", `… ${matches.length - PICK_LIST} more: search`));
    pickList.replaceChildren(...rows);
  }

  function isShown(key) {
    const shown = model.get("shown") || [];
    return !shown.length || shown.includes(key);  // a panel saved before the picker: every series
  }

  function chartFor(key) {
    let chart = charts.get(key);
    if (chart) return chart;
    const name = groupOf(key);
    let group = groups.get(name);
    if (!group) {
      group = text("details", "jt-group");
      group.open = name !== "system";
      const sum = text("summary", "", name);
      const grid = text("div", "jt-grid");
      group.append(sum, grid);
      group.grid = grid;
      group.addEventListener("toggle", () => schedule());
      groups.set(name, group);
      const order = [...groups.keys()].sort((a, b) => (a === "system") - (b === "system") || a.localeCompare(b));
      body.replaceChildren(...order.map((n) => groups.get(n)));
    }
    const box = text("div", "jt-chart");
    const caption = text("div", "jt-key", key);
    const canvas = document.createElement("canvas");
    canvas.width = 320; canvas.height = 170;
    canvas.setAttribute("role", "img");
    box.append(caption, canvas);
    group.grid.append(box);
    chart = { key, canvas, group, color: COLORS[charts.size % COLORS.length], frame: null };
    crosshair(canvas, box, () => chart.frame);
    charts.set(key, chart);
    return chart;
  }

  function axisOf(key) {
    const mode = xSelect.value || "_default";
    return mode === "_default" ? (model.get("step_metrics") || {})[key] || "_step" : mode;
  }

  function xValues(data, key) {
    const mode = axisOf(key);
    if (mode === "_step") return data.s;
    if (mode === "_time") return data.t;
    if (mode === "_runtime") return data.t.map((t) => t - model.get("started_at"));
    const axis = series.get(mode);
    if (!axis || !axis.s.length) return data.s;
    // the x key's value at each point's step: its latest value at or before that step
    return data.s.map((step) => {
      let lo = 0, hi = axis.s.length - 1;
      if (step < axis.s[0]) return NaN;
      while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (axis.s[mid] <= step) lo = mid; else hi = mid - 1; }
      return axis.v[lo];
    });
  }

  function draw(chart) {
    const data = series.get(chart.key);
    const canvas = chart.canvas, ctx = canvas.getContext("2d");
    const W = canvas.width, H = canvas.height;
    ctx.clearRect(0, 0, W, H);
    chart.frame = null;
    if (!data || !data.s.length) return;
    const log = logScale.checked;
    const xs = xValues(data, chart.key);
    const ys = ema(data.v, Number(smooth.value)).map((y) => (log ? (y > 0 ? Math.log10(y) : NaN) : y));
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (let i = 0; i < xs.length; i++) {
      if (Number.isFinite(xs[i])) { x0 = Math.min(x0, xs[i]); x1 = Math.max(x1, xs[i]); }
      if (Number.isFinite(ys[i])) { y0 = Math.min(y0, ys[i]); y1 = Math.max(y1, ys[i]); }
    }
    if (!Number.isFinite(y0)) { y0 = 0; y1 = 1; }
    if (y0 === y1) { y0 -= 0.5; y1 += 0.5; }
    if (!Number.isFinite(x0)) { x0 = 0; x1 = 1; }
    if (x0 === x1) { x0 -= 0.5; x1 += 0.5; }
    const pad = (y1 - y0) * 0.04;  // curves clear of the frame
    y0 -= pad; y1 += pad;
    const box = { left: 46, top: 8, right: W - 8, bottom: H - 18 };
    const px = (x) => box.left + ((x - x0) / (x1 - x0)) * (box.right - box.left);
    const py = (y) => box.top + (1 - (y - y0) / (y1 - y0)) * (box.bottom - box.top);
    const mode = axisOf(chart.key);
    const color = ink(canvas);
    const labels = drawAxes(ctx, box, [x0, x1], [y0, y1], px, py, color, {
      yLog: log, xText: mode === "_time" ? (v) => new Date(v * 1000).toLocaleTimeString() : undefined });
    const xName = mode === "_step" ? "step" : mode === "_time" ? "time" : mode === "_runtime" ? "seconds" : mode;
    canvas.setAttribute("aria-label", `${chart.key}: ${xName} ${labels.x.join(", ")}; value ${labels.y.join(", ")}`);
    canvas.dataset.ink = color;
    ctx.strokeStyle = chart.color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let pen = false;
    for (let i = 0; i < xs.length; i++) {
      if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) { pen = false; continue; }  // NaN/inf: a gap
      const X = px(xs[i]), Y = py(ys[i]);
      if (pen) ctx.lineTo(X, Y); else ctx.moveTo(X, Y);
      pen = true;
    }
    ctx.stroke();
    chart.frame = {
      box, invX: (p) => x0 + ((p - box.left) / (box.right - box.left)) * (x1 - x0), redraw: () => draw(chart),
      lines: [{ name: chart.key, color: chart.color, s: xs, v: data.v, steps: data.s }],
      head: (row) => `step ${row.step}` + (mode === "_step" ? "" : ` · ${xName} ${labelX(mode, row.x)}`),
    };
    canvas.dataset.points = String(xs.length);  // what is drawn, readable by tests and tools
    canvas.dataset.lastStep = String(data.s[data.s.length - 1]);
    canvas.dataset.x = mode;  // the key (or _step, _time, _runtime) the x-axis shows
  }

  function labelX(mode, x) {
    return mode === "_time" ? new Date(x * 1000).toLocaleTimeString() : fmt(x);
  }

  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      refreshXOptions();
      for (const key of [...series.keys()].sort()) {
        if (!isShown(key)) {  // hidden in the picker (its data stays: it may be another chart's x-axis)
          const gone = charts.get(key);
          if (gone) { gone.canvas.parentElement.remove(); charts.delete(key); }
          continue;
        }
        const chart = chartFor(key);
        if (chart.group.open) draw(chart);
      }
    });
  }

  function header() {
    const state = model.get("state");
    title.textContent = `${model.get("run_name")} (${model.get("run_path")})`;
    badge.textContent = state;
    badge.dataset.state = state;
    const end = model.get("finished_at") || Date.now() / 1000;
    const elapsed = Math.max(0, end - model.get("started_at"));
    const rate = model.get("step_rate");
    facts.textContent = ` · ${elapsed.toFixed(0)} s · step ${model.get("last_step")}` +
      (rate > 0 && state === "running" ? ` · ${fmt(rate)} steps/s` : "");
    const entries = Object.entries(model.get("summary") || {});
    summary.replaceChildren(...entries.slice(0, 24).map(([k, v]) => text("span", "jt-stat", `${k}: ${typeof v === "number" ? fmt(v) : String(v)}`)));
  }

  function onMessage(msg, buffers) {
    if (!msg || msg.type !== "series") return;
    msg.entries.forEach((entry, i) => {
      const [s, v, t] = [0, 1, 2].map((j) => Array.from(f64(buffers[3 * i + j])));
      const old = series.get(entry.key);
      if (!old || entry.replace) series.set(entry.key, { s, v, t });
      else {
        // the previous message ended with the open bucket's newest point: superseded now
        if (old.open) { old.s.pop(); old.v.pop(); old.t.pop(); }
        old.s.push(...s); old.v.push(...v); old.t.push(...t);
      }
      series.get(entry.key).open = entry.open;
    });
    schedule();
  }

  function loggedCharts() {
    const charts = model.get("charts") || {};
    const keys = Object.keys(charts).sort();
    logged.style.display = keys.length ? "" : "none";
    loggedGrid.replaceChildren(...keys.map((key) => {
      const box = text("div", "jt-logged-box");
      box.dataset.key = key;
      box.dataset.step = String(charts[key].step);
      // the kernel's own SVG (chart_view.py), every text in it escaped there: markup, not user text
      box.innerHTML = charts[key].html;
      return box;
    }));
  }

  model.on("msg:custom", onMessage);
  model.on("change:charts", loggedCharts);
  const onChange = () => header();
  for (const name of ["state", "summary", "last_step", "step_rate", "finished_at"]) model.on(`change:${name}`, onChange);
  model.on("change:step_metrics", schedule);
  const onKeys = () => { refreshPicker(); schedule(); };
  model.on("change:shown", onKeys);
  model.on("change:all_keys", refreshPicker);
  model.on("change:snapshot", () => {
    for (const [key, data] of decodeSnapshot(model.get("snapshot"), model.get("started_at"))) series.set(key, data);
    schedule();
  });
  for (const control of [xSelect, smooth, logScale]) control.addEventListener("input", schedule);
  const timer = setInterval(() => { if (model.get("state") === "running") header(); }, 1000);
  const unwatch = onThemeChange(schedule);  // canvas ink is not CSS: redraw in the new theme's colours
  header();
  loggedCharts();
  refreshPicker();
  schedule();
  return () => {
    unwatch();
    clearInterval(timer);
    model.off("msg:custom", onMessage);
    model.off("change:charts", loggedCharts);
    model.off("change:shown", onKeys);
    model.off("change:all_keys", refreshPicker);
  };
}

export default { initialize, render };
