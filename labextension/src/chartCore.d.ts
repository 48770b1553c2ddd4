/**
 * The shared chart axes (jupyter_track/widgets/static/chart_core.js, plain ESM): round ticks with gridlines, the
 * theme's ink, a redraw on theme switch and the crosshair tooltip. The notebook widgets, the compare panel and
 * the run detail panel all draw with it; webpack bundles it, the unit tests load it through tsx.
 */
declare module '*/widgets/static/chart_core.js' {
  /** A plot area in canvas px. */
  export interface Box {
    left: number;
    top: number;
    right: number;
    bottom: number;
  }
  /** A line the crosshair reads: x values `s`, values `v`, and the steps to name (default: `s`). */
  export interface CrosshairLine {
    name: string;
    color: string;
    s: ArrayLike<number>;
    v: ArrayLike<number | null>;
    steps?: ArrayLike<number>;
  }
  /** A tooltip row: the nearest point of one line. */
  export interface CrosshairRow {
    name: string;
    color: string;
    x: number;
    step: number;
    v: number;
  }
  /** What the crosshair needs of the chart as drawn now. */
  export interface Frame {
    box: Box;
    invX(px: number): number;
    lines: CrosshairLine[];
    redraw(): void;
    head?(row: CrosshairRow): string;
  }
  export function niceTicks(lo: number, hi: number, count?: number): { ticks: number[]; step: number };
  export function tickText(v: number, step: number): string;
  export function ink(node: Element): string;
  export function drawAxes(
    ctx: CanvasRenderingContext2D,
    box: Box,
    xr: [number, number],
    yr: [number, number],
    X: (v: number) => number,
    Y: (v: number) => number,
    color: string,
    opts?: { yLog?: boolean; yWhole?: boolean; xText?: (v: number, step: number) => string }
  ): { x: string[]; y: string[] };
  export function onThemeChange(redraw: () => void): () => void;
  export function nearest(xs: ArrayLike<number>, x: number): number;
  export function crosshair(canvas: HTMLCanvasElement, host: HTMLElement, frame: () => Frame | null): HTMLDivElement;
}
