// The compare widget: a legend, one canvas per metric (per-run curves arrive as one binary message asked for on
// connect; saved notebooks have the group/overall bands), a config diff table, parallel coordinates with
// brushing, parameter importance and a scatter. A brush selects runs; every view marks them (data-selected).
// All names and values are set with textContent, never innerHTML. Axes, gridlines, ticks and the crosshair
// tooltip come from chart_core.js, shared with the other charts.
import { crosshair, drawAxes, ink, niceTicks, onThemeChange, tickText } from "./chart_core.js";

const SVG = "http://www.w3.org/2000/svg";

function el(tag, cls, content) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (content !== undefined) node.textContent = content;
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  return node;
}

function fmt(x) {
  if (x === null || x === undefined) return "";
  if (typeof x !== "number") return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(3) : String(Number(x.toPrecision(5)));
}

function decodeCurves(content, buffers, nMetrics, nRuns) {
  const curves = Array.from({ length: nMetrics }, () => new Array(nRuns).fill(null));
  const b = buffers[0];
  const buf = b.buffer ? b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) : b;
  const all = new Float32Array(buf);
  let off = 0;
  for (const [m, r, n] of content.index) {
    curves[m][r] = { s: all.subarray(off, off + n), v: all.subarray(off + n, off + 2 * n) };
    off += 2 * n;
  }
  return curves;
}

// One axis of a column: numbers map linearly, anything else by its sorted distinct values.
function axisOf(col, values) {
  if (col.type === "num") {
    const nums = values.filter((v) => typeof v === "number");
    let lo = Math.min(...nums), hi = Math.max(...nums);
    if (!nums.length) { lo = 0; hi = 1; }
    if (hi === lo) { hi = lo + 1; }
    const nt = niceTicks(lo, hi, 4);
    return { num: true, lo, hi, pos: (v) => (typeof v === "number" ? (v - lo) / (hi - lo) : null),
      ticks: nt.ticks.map((v) => [(v - lo) / (hi - lo), tickText(v, nt.step)]) };
  }
  const cats = [...new Set(values.map((v) => (v === null ? "∅" : String(v))))].sort();
  const at = (c) => (cats.length === 1 ? 0.5 : cats.indexOf(c) / (cats.length - 1));
  return { num: false, pos: (v) => at(v === null ? "∅" : String(v)), ticks: cats.map((c) => [at(c), c]) };
}

// The whole view for one set of runs and rows (the saved ones first, then every run once the kernel answers).
function view(model, host, data) {
  const { runs, rows, curves } = data;
  const metrics = model.get("metrics"), columns = model.get("columns");
  const grouped = Boolean(model.get("group_by"));
  const hidden = new Set();
  const brushes = new Map(); // column index -> [lo, hi] in 0..1 axis units
  let selected = null; // Set of run indices, or null when nothing is brushed
  const root = el("div", "jt-compare");
  const views = [];
  const mark = (node, r) => {
    node.dataset.selected = selected === null ? "" : String(selected.has(r));
  };

  // legend
  const legend = el("div", "jt-cmp-legend");
  runs.forEach((run, r) => {
    const item = el("span", "jt-cmp-run");
    item.dataset.run = String(r);
    item.dataset.hidden = "false";
    const sw = el("span", "jt-cmp-swatch");
    sw.style.background = run.color;
    item.append(sw, document.createTextNode(run.name + (run.group ? ` (${run.group})` : "")));
    item.title = run.path;
    item.addEventListener("click", () => {
      if (hidden.has(r)) hidden.delete(r); else hidden.add(r);
      item.dataset.hidden = String(hidden.has(r));
      update();
    });
    legend.append(item);
  });
  views.push(() => legend.querySelectorAll(".jt-cmp-run").forEach((n) => mark(n, Number(n.dataset.run))));

  // curves
  const chartBox = el("div", "jt-cmp-charts");
  const frames = [];  // per chart: what the crosshair needs (scales, lines) from its last draw
  const canvases = metrics.map((key, m) => {
    const box = el("div", "jt-cmp-chart");
    const canvas = document.createElement("canvas");
    canvas.width = 360; canvas.height = 200;
    canvas.dataset.metric = key;
    canvas.setAttribute("role", "img");
    box.append(el("div", "jt-cmp-key", key), canvas);
    crosshair(canvas, box, () => frames[m]);
    chartBox.append(box);
    return canvas;
  });
  function drawChart(m) {
    const canvas = canvases[m], ctx = canvas.getContext("2d");
    const W = canvas.width, H = canvas.height;
    ctx.clearRect(0, 0, W, H);
    const lines = [], bands = [];
    const drawn = [];
    if (curves) {
      runs.forEach((run, r) => {
        const c = curves[m][r];
        if (!c || hidden.has(r)) return;
        drawn.push(r);
        const dim = selected !== null && !selected.has(r);
        lines.push({ s: c.s, v: c.v, color: run.color, alpha: dim ? 0.12 : grouped ? 0.25 : 0.9, width: 1,
          name: run.name });
      });
    }
    if (grouped || !curves) {
      for (const b of model.get("bands")[metrics[m]] || []) {
        bands.push(b);
        lines.push({ s: b.steps, v: b.mean, color: b.color, alpha: 1, width: 2.2, name: b.group || "all runs" });
      }
    }
    canvas.dataset.drawnRuns = drawn.join(",");
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    const grow = (s, v) => {
      for (let i = 0; i < s.length; i++) {
        const y = v[i];
        if (y === null || !Number.isFinite(y)) continue;
        if (s[i] < x0) x0 = s[i]; if (s[i] > x1) x1 = s[i];
        if (y < y0) y0 = y; if (y > y1) y1 = y;
      }
    };
    for (const l of lines) grow(l.s, l.v);
    for (const b of bands) { grow(b.steps, b.lo); grow(b.steps, b.hi); }
    if (!(x1 >= x0)) {
      frames[m] = null;
      canvas.setAttribute("aria-label", `${metrics[m]}: no values to draw`);
      return;
    }
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) { y0 -= Math.abs(y0) * 0.05 || 0.5; y1 += Math.abs(y1) * 0.05 || 0.5; }
    const pad = (y1 - y0) * 0.04;  // curves clear of the frame
    y0 -= pad; y1 += pad;
    const box = { left: 46, top: 6, right: W - 8, bottom: H - 18 };
    const X = (s) => box.left + ((s - x0) / (x1 - x0)) * (box.right - box.left);
    const Y = (v) => box.top + (1 - (v - y0) / (y1 - y0)) * (box.bottom - box.top);
    const color = ink(canvas);
    const labels = drawAxes(ctx, box, [x0, x1], [y0, y1], X, Y, color);
    canvas.setAttribute("aria-label", `${metrics[m]}: step ${labels.x.join(", ")}; value ${labels.y.join(", ")}`);
    canvas.dataset.ink = color;
    frames[m] = { box, lines, invX: (px) => x0 + ((px - box.left) / (box.right - box.left)) * (x1 - x0),
      redraw: () => drawChart(m) };
    for (const b of bands) {
      ctx.globalAlpha = 0.18; ctx.fillStyle = b.color; ctx.beginPath();
      let started = false;
      b.steps.forEach((s, i) => { if (b.hi[i] !== null) { started ? ctx.lineTo(X(s), Y(b.hi[i])) : ctx.moveTo(X(s), Y(b.hi[i])); started = true; } });
      for (let i = b.steps.length - 1; i >= 0; i--) if (b.lo[i] !== null) ctx.lineTo(X(b.steps[i]), Y(b.lo[i]));
      ctx.fill();
    }
    for (const l of lines) {
      ctx.globalAlpha = l.alpha; ctx.strokeStyle = l.color; ctx.lineWidth = l.width; ctx.beginPath();
      let pen = false;
      for (let i = 0; i < l.s.length; i++) {
        const y = l.v[i];
        if (y === null || !Number.isFinite(y)) { pen = false; continue; }
        pen ? ctx.lineTo(X(l.s[i]), Y(y)) : ctx.moveTo(X(l.s[i]), Y(y));
        pen = true;
      }
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
  }
  views.push(() => metrics.forEach((_, m) => drawChart(m)));

  // config diff table
  const table = el("table", "jt-cmp-table");
  const thead = el("thead"), tbody = el("tbody"), headRow = el("tr");
  let sortCol = -1, sortDesc = false;
  [{ name: "run", kind: "" }, ...columns].forEach((c, j) => {
    const th = el("th", c.kind ? `jt-cmp-${c.kind}` : "", c.name);
    th.dataset.col = String(j - 1);
    th.addEventListener("click", () => {
      sortDesc = sortCol === j - 1 ? !sortDesc : false;
      sortCol = j - 1;
      headRow.querySelectorAll("th").forEach((h) => { h.dataset.sort = ""; });
      th.dataset.sort = sortDesc ? "desc" : "asc";
      fillTable();
    });
    headRow.append(th);
  });
  thead.append(headRow);
  table.append(thead, tbody);
  const cell = (r, j) => (j < 0 ? runs[r].name : rows[r][j]);
  function fillTable() {
    const order = runs.map((_, r) => r);
    if (sortCol >= -1 && headRow.querySelector("[data-sort='asc'],[data-sort='desc']")) {
      order.sort((a, b) => {
        const x = cell(a, sortCol), y = cell(b, sortCol);
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        const d = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return sortDesc ? -d : d;
      });
    }
    tbody.replaceChildren(...order.map((r) => {
      const tr = el("tr");
      tr.dataset.run = String(r);
      const name = el("td", "jt-cmp-name", runs[r].name);
      name.style.borderLeft = `4px solid ${runs[r].color}`;
      tr.append(name, ...rows[r].map((v) => el("td", "", fmt(v))));
      mark(tr, r);
      return tr;
    }));
  }
  views.push(() => tbody.querySelectorAll("tr").forEach((tr) => mark(tr, Number(tr.dataset.run))));

  // parallel coordinates
  const PW = Math.max(360, 110 * columns.length), PH = 220, PT = 18, PB = 24;
  const pc = svg("svg", { class: "jt-cmp-pc", width: PW, height: PH });
  const axes = columns.map((c, j) => axisOf(c, rows.map((row) => row[j])));
  const ax = (j) => 40 + (columns.length > 1 ? (j / (columns.length - 1)) * (PW - 80) : (PW - 80) / 2);
  const ay = (u) => PT + (1 - u) * (PH - PT - PB);
  const paths = runs.map((run, r) => {
    const pts = axes.map((a, j) => { const u = a.pos(rows[r][j]); return u === null ? null : `${ax(j)},${ay(u)}`; });
    const p = svg("polyline", { points: pts.filter(Boolean).join(" "), fill: "none", stroke: run.color,
      "stroke-width": 1.3, class: "jt-cmp-line" });
    p.dataset.run = String(r);
    pc.append(p);
    return p;
  });
  axes.forEach((a, j) => {
    const g = svg("g", { class: "jt-cmp-axis" });
    g.dataset.col = String(j);
    g.append(svg("line", { x1: ax(j), x2: ax(j), y1: PT, y2: PH - PB, stroke: "currentColor" }));
    const title = svg("text", { x: ax(j), y: PH - 6, "text-anchor": "middle", "font-size": 10 });
    title.textContent = columns[j].name;
    g.append(title);
    for (const [u, label] of a.ticks.slice(0, 12)) {
      const t = svg("text", { x: ax(j) + 4, y: ay(u) + 3, "font-size": 9 });
      t.textContent = label;
      g.append(t);
    }
    const brush = svg("rect", { x: ax(j) - 6, y: ay(brushes.get(j)?.[1] ?? 0), width: 12, height: 0,
      class: "jt-cmp-brush" });
    // a little taller than the axis: a drag from just past an end takes in the values at that end
    const hit = svg("rect", { x: ax(j) - 10, y: PT - 10, width: 20, height: PH - PT - PB + 20, fill: "transparent",
      class: "jt-cmp-hit", cursor: "crosshair" });
    g.append(brush, hit);
    let start = null;
    const toU = (ev) => {
      const box = pc.getBoundingClientRect();
      const y = Math.min(PH - PB, Math.max(PT, ev.clientY - box.top));
      return 1 - (y - PT) / (PH - PT - PB);
    };
    hit.addEventListener("pointerdown", (ev) => { start = toU(ev); hit.setPointerCapture(ev.pointerId); ev.preventDefault(); });
    hit.addEventListener("pointermove", (ev) => {
      if (start === null) return;
      const u = toU(ev), lo = Math.min(start, u), hi = Math.max(start, u);
      brush.setAttribute("y", String(ay(hi)));
      brush.setAttribute("height", String(ay(lo) - ay(hi)));
    });
    hit.addEventListener("pointerup", (ev) => {
      if (start === null) return;
      const u = toU(ev), lo = Math.min(start, u), hi = Math.max(start, u);
      start = null;
      if (hi - lo < 0.01) { brushes.delete(j); brush.setAttribute("height", "0"); } else brushes.set(j, [lo, hi]);
      g.dataset.brushed = String(brushes.has(j));
      select();
    });
    pc.append(g);
  });
  function select() {
    if (!brushes.size) selected = null;
    else {
      selected = new Set(runs.map((_, r) => r).filter((r) => [...brushes].every(([j, [lo, hi]]) => {
        const u = axes[j].pos(rows[r][j]);
        return u !== null && u >= lo - 1e-9 && u <= hi + 1e-9;
      })));
    }
    root.dataset.selectedCount = selected === null ? "" : String(selected.size);
    update();
  }
  views.push(() => paths.forEach((p, r) => { mark(p, r); p.style.display = hidden.has(r) ? "none" : ""; }));

  // importance
  const imp = el("div", "jt-cmp-importance");
  const impSelect = document.createElement("select");
  metrics.forEach((k) => impSelect.append(new Option(k, k)));
  impSelect.value = model.get("importance_metric") || metrics[0] || "";
  impSelect.addEventListener("change", () => { model.set("importance_metric", impSelect.value); model.save_changes(); });
  const impBody = el("div");
  function fillImportance() {
    const found = model.get("importance")[impSelect.value];
    if (!found) { impBody.replaceChildren(el("p", "jt-cmp-note", "computing…")); return; }
    const t = el("table", "jt-cmp-imp");
    const h = el("tr");
    // which figure the importance column holds: fANOVA, or ε² where scikit-learn is not installed (see the note)
    const method = { fanova: "fANOVA importance", eta_squared: "ε² (variance explained alone)" }[found.method] || "importance";
    ["parameter", method, "Spearman", "Pearson"].forEach((x) => h.append(el("th", "", x)));
    t.append(h);
    for (const row of found.rows) {
      const tr = el("tr");
      const bar = el("span", "jt-cmp-bar");
      bar.style.width = `${Math.round(100 * (row.importance ?? 0))}px`;
      const f = el("td", "", fmt(row.importance));
      f.prepend(bar);
      tr.append(el("td", "", row.param), f, el("td", "", fmt(row.spearman)), el("td", "", fmt(row.pearson)));
      t.append(tr);
    }
    impBody.replaceChildren(...(found.rows.length ? [t] : []), ...(found.note ? [el("p", "jt-cmp-note", found.note)] : []));
  }
  imp.append(el("b", "", "Parameter importance for "), impSelect, impBody);
  model.on("change:importance", fillImportance);

  // scatter
  const sc = el("div", "jt-cmp-scatter");
  const names = columns.map((c) => c.name);
  const xs = document.createElement("select"), ys = document.createElement("select");
  for (const s of [xs, ys]) names.forEach((n, j) => s.append(new Option(n, String(j))));
  xs.value = "0"; ys.value = String(Math.max(0, columns.length - 1));
  const [sx, sy] = model.get("scatter_axes") || [];  // a chosen pair (the sweep view: trial vs its metric)
  if (names.includes(sx)) xs.value = String(names.indexOf(sx));
  if (names.includes(sy)) ys.value = String(names.indexOf(sy));
  const SW = 360, SH = 240;
  const plot = svg("svg", { class: "jt-cmp-scatter-plot", width: SW, height: SH });
  function drawScatter() {
    plot.replaceChildren();
    if (!columns.length) return;
    const jx = Number(xs.value), jy = Number(ys.value);
    const axX = axes[jx], axY = axes[jy];
    const L = 52, T = 6, R = SW - 6, B = SH - 34;  // the plot area; points kept 6 px inside it
    const px = (u) => L + 6 + u * (R - L - 12), py = (w) => T + 6 + (1 - w) * (B - T - 12);
    const grid = svg("g", { class: "jt-cmp-grid", stroke: "currentColor", "stroke-opacity": 0.14 });
    const ticks = svg("g", { class: "jt-cmp-ticks", "font-size": 9, fill: "currentColor" });
    for (const [u, label] of axX.ticks.slice(0, 8)) {
      grid.append(svg("line", { x1: px(u), x2: px(u), y1: T, y2: B }));
      const t = svg("text", { x: px(u), y: B + 11, "text-anchor": "middle" });
      t.textContent = label;
      ticks.append(t);
    }
    for (const [w, label] of axY.ticks.slice(0, 8)) {
      grid.append(svg("line", { x1: L, x2: R, y1: py(w), y2: py(w) }));
      const t = svg("text", { x: L - 4, y: py(w) + 3, "text-anchor": "end" });
      t.textContent = label.length > 9 ? label.slice(0, 8) + "…" : label;
      ticks.append(t);
    }
    plot.append(grid, svg("rect", { x: L, y: T, width: R - L, height: B - T, fill: "none", stroke: "currentColor",
      "stroke-opacity": 0.45 }), ticks);
    const lx = svg("text", { x: (L + R) / 2, y: SH - 6, "text-anchor": "middle", "font-size": 10, fill: "currentColor" });
    lx.textContent = names[jx];
    const ly = svg("text", { x: 0, y: 0, "text-anchor": "middle", "font-size": 10, fill: "currentColor",
      transform: `translate(10 ${(T + B) / 2}) rotate(-90)` });
    ly.textContent = names[jy];
    plot.append(lx, ly);
    runs.forEach((run, r) => {
      const u = axX.pos(rows[r][jx]), w = axY.pos(rows[r][jy]);
      if (u === null || w === null || hidden.has(r)) return;
      const c = svg("circle", { cx: px(u), cy: py(w), r: 4, fill: run.color });
      c.dataset.run = String(r);
      const tip = svg("title");
      tip.textContent = `${run.name}: ${fmt(rows[r][jx])}, ${fmt(rows[r][jy])}`;
      c.append(tip);
      mark(c, r);
      plot.append(c);
    });
  }
  xs.addEventListener("change", drawScatter);
  ys.addEventListener("change", drawScatter);
  sc.append(el("b", "", "Scatter "), xs, el("span", "", " vs "), ys, el("br"), plot);
  views.push(drawScatter);

  const section = (title, ...nodes) => { const s = el("div", "jt-cmp-section"); s.append(el("div", "jt-cmp-title", title), ...nodes); return s; };
  const total = model.get("total_runs");
  const head = `Comparing ${total || runs.length} runs` + (runs.length < total ? ` (${runs.length} shown: no kernel)` : "");
  root.dataset.curves = curves ? "loaded" : "";
  const header = model.get("header");  // a sweep view's line: best so far, trials
  if (header) root.append(el("div", "jt-sweep-head", header));
  root.append(el("div", "jt-cmp-head", head), legend, chartBox, ...loggedCharts(model.get("charts") || [], section),
    section("Config (keys that differ) and summary", table), section("Parallel coordinates (drag on an axis to select)", pc),
    section("", imp), section("", sc));
  host.append(root);

  function update() { for (const v of views) v(); }
  fillTable();
  fillImportance();
  update();
  const unwatch = onThemeChange(() => metrics.forEach((_, m) => drawChart(m)));  // canvas ink is not CSS
  return () => { model.off("change:importance", fillImportance); unwatch(); };
}

// Charts the runs logged with jt.plot under the same key, side by side: SVG drawn by the kernel
// (widgets/chart_view.py, every text escaped there), so it is set as markup.
function loggedCharts(charts, section) {
  return charts.map(({ key, runs, charts: drawn }) => {
    const row = el("div", "jt-cmp-charts");
    row.dataset.key = key;
    for (const c of drawn) {
      const box = el("div", "jt-cmp-logged");
      box.dataset.run = c.id;
      box.style.borderColor = c.color;
      box.innerHTML = c.html;
      row.append(box);
    }
    const more = runs > drawn.length ? ` (${drawn.length} of ${runs} runs)` : "";
    return section(`${key}${more}`, row);
  });
}

function render({ model, el: host }) {
  let detach = null;
  const build = (data) => {
    if (detach) detach();
    host.replaceChildren();
    detach = view(model, host, data);
  };
  model.on("msg:custom", (content, buffers) => {
    if (content.type !== "curves") return;
    const curves = decodeCurves(content, buffers, model.get("metrics").length, content.runs.length);
    build({ runs: content.runs, rows: content.rows, curves });
  });
  // a sweep view refreshed by the kernel after a trial: redraw from the synced state (the kernel then sends
  // the curves itself, as it may be busy running the next trial and not answer a request)
  model.on("change:version", () => build({ runs: model.get("runs"), rows: model.get("rows"), curves: null }));
  build({ runs: model.get("runs"), rows: model.get("rows"), curves: null });
  model.send({ type: "curves" });  // the kernel answers with every run and its curves (not saved)
  return () => { if (detach) detach(); };
}

export default { render };
