/** The compare widget's view (jupyter_track/widgets/static/compare.js, plain ESM), bundled into the panel. */
declare module '*/widgets/static/compare.js' {
  const view: {
    render(props: { model: unknown; el: HTMLElement }): (() => void) | void;
  };
  export default view;
}
