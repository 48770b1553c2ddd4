/** The extension's icon: the sidebar tab and the status bar item. */
import { LabIcon } from '@jupyterlab/ui-components';

const RUNS_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h2v16h16v2H3z"/>
    <path d="M7.3 16.7 6 15.3l4.6-4.6 3 3 5.6-6.3 1.5 1.3-7 7.9-3.1-3z"/>
    <circle cx="19" cy="5" r="2"/>
  </g>
</svg>`;

/** A line chart over axes: the "Runs" sidebar's tab icon (themed through `jp-icon3`). */
export const runsIcon = new LabIcon({ name: 'jupyter-track:runs', svgstr: RUNS_SVG });
