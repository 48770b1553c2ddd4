// The axes every jupyter_track chart draws alike: round ticks (1-2-5 steps) with gridlines, tick labels as
// short as their step allows, the theme's ink read at each draw (and a redraw when JupyterLab switches theme),
// and a crosshair tooltip that leaves with the pointer. compare.js imports it: webpack bundles the import for
// JupyterLab's compare panel; widgets/compare.py inlines this file for the notebook widget (one ES module).
// JupyterLab's run detail panel (labextension/src/charts.ts, detail/histogram.ts) imports it too.
// widgets/static_view.py draws the saved (static) charts with the same tick rule.

// About `count` round ticks inside [lo, hi]: steps of 1, 2 or 5 × 10^k.
export function niceTicks(lo, hi, count = 5) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { ticks: [], step: 1 };
  if (!(hi > lo)) hi = lo + (Math.abs(lo) || 1);
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = Number(((norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag).toPrecision(12));
  const ticks = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) {
    ticks.push(i === 0 ? 0 : Number((i * step).toPrecision(12)));
  }
  return { ticks, step };
}

// A tick's label: as many decimals as the step needs, thousands as "k", very large/small as exponents.
export function tickText(v, step) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) {
    const exponent = Math.floor(Math.log10(a));
    const digits = Math.min(3, Math.max(0, -Math.floor(Math.log10(step / 10 ** exponent) + 1e-9)));
    return `${(v / 10 ** exponent).toFixed(digits)}e${exponent}`;
  }
  if (a >= 1e4 && step >= 100) return `${Number((v / 1000).toFixed(Math.max(0, -Math.floor(Math.log10(step / 1000) + 1e-9))))}k`;
  return v.toFixed(Math.min(10, Math.max(0, -Math.floor(Math.log10(step) + 1e-9))));
}

// The text colour the chart's element has now (the theme's), for canvas drawing.
export function ink(node) {
  return getComputedStyle(node).color || "rgb(128, 128, 128)";
}

// Ticks of a log10 axis (`lo`, `hi` are exponents): whole decades, labelled with their value; within one
// decade, round exponents.
function logTicks(lo, hi, count) {
  const t = niceTicks(lo, hi, count);
  const step = Math.max(1, Math.round(t.step));
  const decades = [];
  for (let k = Math.ceil(lo / step) * step; k <= hi + 1e-9; k += step) decades.push(k);
  const ticks = decades.length >= 2 ? decades : t.ticks;
  return { ticks, text: (v) => (Number.isInteger(v) ? tickText(10 ** v, 10 ** v) : String(Number((10 ** v).toPrecision(2)))) };
}

// Gridlines and tick labels for a canvas plot area `box` = {left, top, right, bottom} with scales X and Y.
// `opts.yLog`: the y values are log10 exponents; `opts.yWhole`: y ticks on whole numbers only (steps, counts);
// `opts.xText(v, step)`: the x labels (clock times, say).
// Returns the labels drawn (the canvas keeps them in its aria-label: readable to screen readers and tests).
export function drawAxes(ctx, box, xr, yr, X, Y, color, opts = {}) {
  const xt = niceTicks(xr[0], xr[1], Math.max(2, Math.floor((box.right - box.left) / 70)));
  const yCount = Math.max(2, Math.floor((box.bottom - box.top) / 35));
  let yt = opts.yLog ? logTicks(yr[0], yr[1], yCount) : niceTicks(yr[0], yr[1], yCount);
  if (opts.yWhole && yt.step < 1) yt = { ticks: yt.ticks.filter(Number.isInteger), step: 1 };
  ctx.save();
  ctx.strokeStyle = color;
  ctx.lineWidth = 1;
  ctx.globalAlpha = 0.14;
  ctx.beginPath();
  for (const v of xt.ticks) { const x = Math.round(X(v)) + 0.5; ctx.moveTo(x, box.top); ctx.lineTo(x, box.bottom); }
  for (const v of yt.ticks) { const y = Math.round(Y(v)) + 0.5; ctx.moveTo(box.left, y); ctx.lineTo(box.right, y); }
  ctx.stroke();
  ctx.globalAlpha = 0.45;
  ctx.strokeRect(box.left + 0.5, box.top + 0.5, box.right - box.left, box.bottom - box.top);
  ctx.globalAlpha = 0.9;
  ctx.fillStyle = color;
  ctx.font = "10px sans-serif";
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  const ys = yt.ticks.map((v) => (yt.text ? yt.text(v) : tickText(v, yt.step)));
  yt.ticks.forEach((v, i) => ctx.fillText(ys[i], box.left - 4, Y(v)));
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  const xs = xt.ticks.map((v) => (opts.xText ? opts.xText(v, xt.step) : tickText(v, xt.step)));
  xt.ticks.forEach((v, i) => ctx.fillText(xs[i], X(v), box.bottom + 3));
  ctx.restore();
  return { x: xs, y: ys };
}

// Calls `redraw` whenever JupyterLab switches theme (it sets data-jp-theme-* on <body>); returns the undo.
// The new theme's stylesheet may apply a moment after the attribute changes: it redraws then too.
export function onThemeChange(redraw) {
  if (typeof MutationObserver === "undefined" || !document.body) return () => {};
  const observer = new MutationObserver(() => { redraw(); setTimeout(redraw, 300); setTimeout(redraw, 1200); });
  observer.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name"] });
  return () => observer.disconnect();
}

// Index of the finite value in `xs` nearest to `x` (-1 if none): a scan, as a chart's x values (another key's
// values) need not be sorted; a chart holds at most a few thousand points.
export function nearest(xs, x) {
  let best = -1, dist = Infinity;
  for (let i = 0; i < xs.length; i++) {
    const d = Math.abs(xs[i] - x);
    if (d < dist) { dist = d; best = i; }
  }
  return best;
}

// A crosshair over `canvas` (inside a position:relative `host`): a vertical line at the pointer and a tooltip
// listing, per line, its value at the nearest x. `frame()` gives the current {box, invX, lines: [{name, color,
// s (x values), v, steps?}], redraw, head?(row)}; the line and the tooltip go when the pointer leaves.
export function crosshair(canvas, host, frame) {
  const tip = document.createElement("div");
  tip.className = "jt-chart-tip";
  tip.hidden = true;
  host.append(tip);
  const hide = () => {
    if (tip.hidden) return;
    tip.hidden = true;
    frame().redraw();
  };
  canvas.addEventListener("pointermove", (ev) => {
    const f = frame();
    if (!f || !f.lines.length) return;
    const rect = canvas.getBoundingClientRect();
    const px = (ev.clientX - rect.left) * (canvas.width / rect.width);
    if (px < f.box.left || px > f.box.right) { hide(); return; }
    const x = f.invX(px);
    const rows = [];
    for (const l of f.lines) {
      if (!l.s.length) continue;
      const i = nearest(l.s, x);
      const v = i < 0 ? null : l.v[i];
      if (v === null || !Number.isFinite(v)) continue;
      rows.push({ name: l.name, color: l.color, x: l.s[i], step: l.steps ? l.steps[i] : l.s[i], v });
    }
    f.redraw();
    const ctx = canvas.getContext("2d");
    ctx.save();
    ctx.strokeStyle = ink(canvas); ctx.globalAlpha = 0.5; ctx.setLineDash([3, 3]);
    ctx.beginPath(); ctx.moveTo(Math.round(px) + 0.5, f.box.top); ctx.lineTo(Math.round(px) + 0.5, f.box.bottom); ctx.stroke();
    ctx.restore();
    rows.sort((a, b) => b.v - a.v);
    const head = document.createElement("div");
    head.className = "jt-chart-tip-head";
    head.textContent = rows.length && f.head ? f.head(rows[0]) : `step ${Math.round(rows.length ? rows[0].step : x)}`;
    tip.replaceChildren(head, ...rows.slice(0, 10).map((r) => {
      const line = document.createElement("div");
      const sw = document.createElement("span");
      sw.className = "jt-chart-tip-swatch";
      sw.style.background = r.color;
      line.append(sw, document.createTextNode(`${r.name}: ${Number(r.v.toPrecision(5))}`));
      return line;
    }), ...(rows.length > 10 ? [document.createTextNode(`… ${rows.length - 10} more`)] : []));
    tip.hidden = false;
    const left = canvas.offsetLeft + px * (rect.width / canvas.width);
    tip.style.left = `${left + 12 + tip.offsetWidth > host.clientWidth ? left - tip.offsetWidth - 12 : left + 12}px`;
    tip.style.top = `${canvas.offsetTop + 8}px`;
  });
  canvas.addEventListener("pointerleave", hide);
  return tip;
}
