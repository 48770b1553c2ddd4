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

const SEARCH_DELAY_MS = 250;

// The enlarged image: a modal <dialog> in the page's top layer, so it is centred on the viewport whatever the
// notebook's scroll position or the output's transforms. It opens on the thumbnail; the kernel sends the full
// image (the table holds 128 px thumbnails) for a row and column, or for the next/previous image of that column
// in the table's current order (step -1/+1, across pages). Esc, a click outside the image or × close it.
function imageDialog(host, request) {
  const dialog = el("dialog", "jt-dialog");
  const close = el("button", "jt-dialog-close", "×");
  close.title = "close (Esc)";
  const before = el("button", "jt-dialog-prev", "‹");
  before.title = "previous image (←)";
  const after = el("button", "jt-dialog-next", "›");
  after.title = "next image (→)";
  const big = el("img", "jt-big");
  const caption = el("div", "jt-big-caption");
  const figure = el("div", "jt-dialog-figure");
  figure.append(big, caption);
  dialog.append(close, before, figure, after);
  host.append(dialog);
  let at = null;  // {row, col} shown
  const step = (delta) => { if (at) request(at.row, at.col, delta); };
  close.addEventListener("click", () => dialog.close());
  before.addEventListener("click", () => step(-1));
  after.addEventListener("click", () => step(1));
  // a click on the backdrop lands on the dialog element itself (its content covers only the figure)
  dialog.addEventListener("click", (e) => { if (e.target === dialog) dialog.close(); });
  dialog.addEventListener("keydown", (e) => {
    // handled here and stopped, so that the notebook's shortcuts (arrows move between cells) do not act too
    if (e.key === "ArrowRight" || e.key === "ArrowLeft") step(e.key === "ArrowRight" ? 1 : -1);
    else if (e.key === "Escape") dialog.close();
    else return;
    e.preventDefault();
    e.stopPropagation();
  });
  return {
    // the thumbnail at once, enlarged, until the full image arrives (it never does where no kernel is: a notebook
    // reopened from its saved widget state, an HTML export)
    open(row, col, cell) {
      at = { row, col };
      big.src = cell.src;
      big.alt = cell.caption;
      big.style.imageRendering = "pixelated";
      caption.textContent = `${cell.caption}${cell.caption ? " · " : ""}thumbnail`;
      before.disabled = after.disabled = false;
      if (!dialog.open) dialog.showModal();
      dialog.focus();
      request(row, col, 0);
    },
    show(msg) {  // a reply that comes after the dialog was closed is dropped
      if (!dialog.open) return;
      at = { row: msg.row, col: msg.col };
      big.src = msg.src;
      // a small image is enlarged with sharp pixels, a large one shrunk smoothly
      big.style.imageRendering = Math.max(msg.width, msg.height) < 256 ? "pixelated" : "auto";
      big.alt = msg.caption;
      const size = `${msg.width}×${msg.height} · image ${msg.index + 1} of ${msg.count}`;
      caption.textContent = `${msg.caption}${msg.caption ? " · " : ""}${size}`;
      before.disabled = msg.index === 0;
      after.disabled = msg.index + 1 >= msg.count;
    },
  };
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
  wrap.append(bar, table, pager);
  root.append(wrap);
  // every view of the model hears the kernel's reply: the view that asked is named in it
  const view = Math.random().toString(36).slice(2);
  const viewer = imageDialog(wrap, (row, col, step) => model.send({ type: "full", row, col, step, view }));

  const commit = (name, value) => { model.set(name, value); model.save_changes(); };
  query.addEventListener("keydown", (e) => { if (e.key === "Enter") commit("query", query.value); });
  // the search filters as the user types: one request per pause, not one per keystroke
  let typing = null;
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => commit("search", search.value), SEARCH_DELAY_MS);
  });
  search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") { clearTimeout(typing); commit("search", search.value); }
  });
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
          img.addEventListener("click", () => viewer.open(ids[r], c, cell));
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

  model.on("msg:custom", (msg) => { if (msg.type === "full" && msg.view === view) viewer.show(msg); });
  for (const name of ["rows", "columns", "total", "page", "sort_by", "sort_desc", "error"]) model.on(`change:${name}`, draw);
  draw();
}

export default { render };
