// The table widget: one page of rows from the kernel; sort, filter and search go back to the kernel.
// Cells are rendered as text (textContent), images as <img src=data:...>: no cell is ever parsed as HTML.
function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function fmt(v) {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  return v === null || v === undefined ? "" : String(v);
}

function histogram(cell) {
  const canvas = el("canvas", "jt-hist");
  canvas.width = 80; canvas.height = 24;
  const ctx = canvas.getContext("2d");
  const max = Math.max(1, ...cell.values);
  const w = canvas.width / Math.max(1, cell.values.length);
  ctx.fillStyle = "#1f77b4";
  cell.values.forEach((v, i) => ctx.fillRect(i * w, canvas.height * (1 - v / max), Math.max(1, w - 1), canvas.height * (v / max)));
  return canvas;
}

function render({ model, el: root }) {
  const wrap = el("div", "jt-table");
  const bar = el("div", "jt-table-bar");
  const query = el("input", "jt-query");
  query.placeholder = "filter, e.g. label != prediction";
  query.value = model.get("query");
  const search = el("input", "jt-search");
  search.placeholder = "search text";
  search.value = model.get("search");
  const error = el("span", "jt-error");
  bar.append(query, search, error);
  const table = el("table", "jt-grid-table");
  const pager = el("div", "jt-pager");
  const prev = el("button", "jt-prev", "‹ prev");
  const next = el("button", "jt-next", "next ›");
  const info = el("span", "jt-info");
  pager.append(prev, info, next);
  const overlay = el("div", "jt-overlay");
  const big = el("img", "jt-big");
  const caption = el("div", "jt-big-caption");
  overlay.append(big, caption);
  overlay.addEventListener("click", () => { overlay.style.display = "none"; });
  wrap.append(bar, table, pager, overlay);
  root.append(wrap);

  const commit = (name, value) => { model.set(name, value); model.save_changes(); };
  query.addEventListener("keydown", (e) => { if (e.key === "Enter") commit("query", query.value); });
  search.addEventListener("keydown", (e) => { if (e.key === "Enter") commit("search", search.value); });
  prev.addEventListener("click", () => commit("page", Math.max(0, model.get("page") - 1)));
  next.addEventListener("click", () => commit("page", model.get("page") + 1));

  function draw() {
    const columns = model.get("columns");
    const head = el("tr");
    columns.forEach((name) => {
      const th = el("th", "", name);
      if (model.get("sort_by") === name) th.dataset.sort = model.get("sort_desc") ? "desc" : "asc";
      th.addEventListener("click", () => {
        const desc = model.get("sort_by") === name ? !model.get("sort_desc") : false;
        model.set("sort_by", name);
        model.set("sort_desc", desc);
        model.save_changes();
      });
      head.append(th);
    });
    const thead = el("thead");
    thead.append(head);
    const tbody = el("tbody");
    const ids = model.get("row_ids");
    model.get("rows").forEach((row, r) => {
      const tr = el("tr");
      tr.dataset.row = String(ids[r]);
      row.forEach((cell, c) => {
        const td = el("td");
        if (cell && typeof cell === "object" && cell._type === "image") {
          const img = el("img", "jt-thumb");
          img.src = cell.src;
          img.alt = cell.caption;
          img.title = cell.caption;
          img.addEventListener("click", () => model.send({ type: "full", row: ids[r], col: c }));
          td.append(img);
        } else if (cell && typeof cell === "object" && cell._type === "histogram") {
          td.append(histogram(cell));
        } else {
          td.textContent = fmt(cell);
        }
        tr.append(td);
      });
      tbody.append(tr);
    });
    table.replaceChildren(thead, tbody);
    const total = model.get("total"), page = model.get("page"), size = model.get("page_size");
    const first = total ? page * size + 1 : 0, last = Math.min(total, (page + 1) * size);
    info.textContent = ` rows ${first}–${last} of ${total}` + (total !== model.get("size") ? ` (filtered from ${model.get("size")})` : "") + " ";
    prev.disabled = page === 0;
    next.disabled = last >= total;
    error.textContent = model.get("error");
  }

  model.on("msg:custom", (msg) => {
    if (msg.type !== "full") return;
    big.src = msg.src;
    caption.textContent = msg.caption;
    overlay.style.display = "flex";
  });
  for (const name of ["rows", "columns", "total", "page", "sort_by", "sort_desc", "error"]) model.on(`change:${name}`, draw);
  draw();
}

export default { render };
