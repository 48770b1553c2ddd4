/** The Media tab of the run detail panel: each logged media key with a step slider (the latest by default). */
import { el } from '../dom';
import { drawChart } from '../plots';
import { RunRef, blobUrl, requestAPI, runPath } from '../request';
import { ChartData, MediaItem, MediaPage, TableBlob } from '../tokens';
import { HistogramData, MAX_RIDGES, drawHistogram, drawRidges, isHistogram } from './histogram';

const MEDIA_ITEMS = 500; // newest media items of a key loaded for the step slider

/** Fill the Media tab with the run's media `keys` (each read when the tab is first shown). */
export function renderMedia(section: HTMLElement, ref: RunRef, keys: string[]): void {
  fillSection(section, keys, 'jt-media', 'jt-media-content', (key, content) => fillMedia(ref, key, content));
}

/** One titled box per key in section `id`, each filled (asynchronously) by `fill`. */
export function fillSection(
  section: HTMLElement,
  keys: string[],
  boxClass: string,
  contentClass: string,
  fill: (key: string, content: HTMLElement) => Promise<void>
): void {
  section.replaceChildren();
  for (const key of keys) {
    const box = el('div', boxClass);
    box.dataset.key = key;
    box.append(el('h3', 'jt-media-title', key));
    const content = el('div', contentClass, 'loading…');
    box.append(content);
    section.append(box);
    void fill(key, content);
  }
}

async function fillMedia(ref: RunRef, key: string, content: HTMLElement): Promise<void> {
  let items: MediaItem[];
  try {
    let page = await requestAPI<MediaPage>(runPath(ref, '/media'), {
      query: { key, limit: MEDIA_ITEMS }
    });
    if (page.total > page.items.length) {
      page = await requestAPI<MediaPage>(runPath(ref, '/media'), {
        query: { key, limit: MEDIA_ITEMS, offset: page.total - MEDIA_ITEMS }
      });
    }
    items = page.items;
  } catch (error) {
    content.textContent = `could not load: ${error instanceof Error ? error.message : error}`;
    return;
  }
  if (!items.length) {
    content.textContent = 'nothing logged';
    return;
  }
  const images = items.every(i => i.kind === 'image' || i.kind === 'images');
  const view = el('div', images ? 'jt-image-grid' : 'jt-media-value');
  const label = el('span', 'jt-media-step');
  const showAt = (index: number) => {
    const item = items[index];
    label.textContent = `step ${item.step}${items.length > 1 ? ` (${index + 1} of ${items.length})` : ''}`;
    label.dataset.index = String(index);
    if (images) {
      const list: any[] = Array.isArray(item.data) ? item.data : [item.data];
      view.replaceChildren(...list.map(img => imageCell(img, 'jt-image')));
    } else if (item.kind === 'chart') {
      void chartCell(item.data as ChartData, key).then(node => {
        if (label.dataset.index === String(index)) {
          view.replaceChildren(node); // unless the slider moved on meanwhile
        }
      });
    } else if (item.kind === 'histogram' && isHistogram(item.data)) {
      view.replaceChildren(drawHistogram(item.data, item.step)); // a bar chart, the slider walks through the steps
    } else {
      view.replaceChildren(valueCell(item.kind, item.data));
    }
  };
  const controls = el('div', 'jt-media-controls');
  if (items.length > 1) {
    const slider = el('input', 'jt-step-slider');
    slider.type = 'range';
    slider.min = '0';
    slider.max = String(items.length - 1);
    slider.value = String(items.length - 1);
    slider.addEventListener('input', () => showAt(Number(slider.value)));
    controls.append(slider);
    const histograms = items.filter(i => i.kind === 'histogram' && isHistogram(i.data));
    if (histograms.length > 1) {
      controls.append(ridgeToggle(histograms, slider, label, view, () => showAt(Number(slider.value))));
    }
  }
  controls.append(label);
  content.replaceChildren(controls, view);
  showAt(items.length - 1); // the latest by default
}

/**
 * The "ridges" checkbox beside a histogram's step slider: on, every step's histogram at once (offset, older ones
 * behind; the slider rests), off, back to the slider's step.
 */
function ridgeToggle(
  items: MediaItem[],
  slider: HTMLInputElement,
  label: HTMLElement,
  view: HTMLElement,
  showStep: () => void
): HTMLElement {
  const toggle = el('label', 'jt-ridge-toggle');
  const box = el('input');
  box.type = 'checkbox';
  box.addEventListener('change', () => {
    slider.disabled = box.checked;
    if (!box.checked) {
      showStep();
      return;
    }
    const some = items.length > MAX_RIDGES ? ` (${MAX_RIDGES} of ${items.length}, evenly spread)` : '';
    label.textContent = `steps ${items[0].step}–${items[items.length - 1].step}${some}`;
    label.dataset.index = 'ridges';
    view.replaceChildren(drawRidges(items.map(i => ({ step: i.step, data: i.data as HistogramData }))));
  });
  toggle.append(box, ' ridges');
  return toggle;
}

/** An image (thumbnail linking to the full one) with its caption, from a logged image's data. */
export function imageCell(img: any, cls: string): HTMLElement {
  const figure = el('figure', cls);
  const src = img?.thumb_url ?? img?.url;
  if (typeof src === 'string') {
    const link = el('a');
    link.href = blobUrl(img.url ?? src);
    link.target = '_blank';
    link.rel = 'noopener';
    const image = el('img');
    image.src = blobUrl(src);
    image.alt = typeof img.caption === 'string' ? img.caption : 'logged image';
    image.loading = 'lazy';
    link.append(image);
    figure.append(link);
  }
  if (img?.caption) {
    figure.append(el('figcaption', '', String(img.caption)));
  }
  return figure;
}

/** A `jt.plot` chart, drawn from its table (read from the table's blob). */
async function chartCell(chart: ChartData, key: string): Promise<HTMLElement> {
  try {
    const table = await requestAPI<TableBlob>(`blobs/${encodeURIComponent(chart.table.sha)}`);
    return drawChart(chart, table, key);
  } catch (error) {
    return el('div', 'jt-plot', `could not load the chart's data: ${error instanceof Error ? error.message : error}`);
  }
}

/** Any other logged value (html, plotly, text, …) as a short text preview. */
function valueCell(kind: string, data: unknown): HTMLElement {
  const box = el('div', 'jt-value');
  box.append(el('span', 'jt-value-kind', kind));
  if (data && typeof data === 'object' && typeof (data as any).url === 'string') {
    const link = el('a', '', 'open');
    link.href = blobUrl((data as any).url);
    link.target = '_blank';
    link.rel = 'noopener';
    box.append(' ', link);
  }
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  box.append(el('pre', 'jt-value-text', text.length > 2000 ? `${text.slice(0, 2000)}…` : text));
  return box;
}