/**
 * A stand-in for the anywidget model that the compare widget's view (jupyter_track/widgets/static/compare.js)
 * renders from, fed by `GET compare` instead of a kernel. The view then shows in JupyterLab's compare panel
 * exactly what `jt.compare()` shows in a notebook. No DOM, no JupyterLab: unit-tested in node.
 */
import { CompareAnswer } from './tokens';

/**
 * The binary curves message the widget's kernel side sends (compare.py `_on_message`): an index of
 * `[metric, run, points]` and one float32 buffer of steps then values per curve, null values as NaN (a gap).
 */
export function curvesMessage(answer: CompareAnswer): { content: Record<string, unknown>; buffer: ArrayBuffer } {
  const index: [number, number, number][] = [];
  let total = 0;
  answer.curves.forEach((perRun, m) =>
    perRun.forEach((curve, r) => {
      if (curve) {
        index.push([m, r, curve[0].length]);
        total += 2 * curve[0].length;
      }
    })
  );
  const data = new Float32Array(total);
  let offset = 0;
  for (const [m, r, n] of index) {
    const [steps, values] = answer.curves[m][r]!;
    for (let i = 0; i < n; i++) {
      data[offset + i] = steps[i] ?? NaN;
      data[offset + n + i] = values[i] ?? NaN;
    }
    offset += 2 * n;
  }
  return { content: { type: 'curves', index, runs: answer.runs, rows: answer.rows }, buffer: data.buffer };
}

type Handler = (...args: any[]) => void;

/**
 * The part of the anywidget model API compare.js uses: get/set/save_changes, on/off (`change:<name>`,
 * `msg:custom`) and send (`{type: "curves"}` → the curves message, asynchronously, as a kernel would).
 * `onSave` is called with the changed names when the view saves (it asks for another importance metric).
 */
export class CompareModel {
  private state: Record<string, unknown>;
  private readonly handlers = new Map<string, Set<Handler>>();
  private dirty = new Set<string>();

  constructor(
    private answer: CompareAnswer,
    private readonly onSave: (model: CompareModel, changed: string[]) => void = () => undefined
  ) {
    this.state = { ...answer };
  }

  get(name: string): any {
    return this.state[name];
  }

  set(name: string, value: unknown): void {
    this.state[name] = value;
    this.dirty.add(name);
  }

  /** Set values as if the kernel had changed them: `change:<name>` fires for each. */
  update(values: Record<string, unknown>): void {
    for (const [name, value] of Object.entries(values)) {
      this.state[name] = value;
      this.emit(`change:${name}`, value);
    }
  }

  save_changes(): void {
    const changed = [...this.dirty];
    this.dirty.clear();
    if (changed.length) {
      this.onSave(this, changed);
    }
  }

  on(event: string, handler: Handler): void {
    if (!this.handlers.has(event)) {
      this.handlers.set(event, new Set());
    }
    this.handlers.get(event)!.add(handler);
  }

  off(event?: string, handler?: Handler): void {
    if (!event) {
      this.handlers.clear();
    } else if (!handler) {
      this.handlers.delete(event);
    } else {
      this.handlers.get(event)?.delete(handler);
    }
  }

  send(message: { type?: string }): void {
    if (message?.type === 'curves') {
      const { content, buffer } = curvesMessage(this.answer);
      setTimeout(() => this.emit('msg:custom', content, [buffer]), 0);
    }
  }

  private emit(event: string, ...args: unknown[]): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) {
      handler(...args);
    }
  }
}
