import { LabIcon } from '@jupyterlab/ui-components';

/**
 * Ariel's sidebar and launcher icon: a container (a box) with a spark. The `jp-icon3` classes
 * let the theme color it, so it follows the light and the dark theme.
 */
export const arielIcon = new LabIcon({
  name: 'jupyterlab-ariel:ariel',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 2 3 6.5v11L12 22l9-4.5v-11L12 2zm0 2.24 6.52 3.26L12 10.76 5.48 7.5 12 4.24zM5 9.12l6 3v7.76l-6-3V9.12zm8 10.76v-7.76l6-3v7.76l-6 3z"/>
  </g>
</svg>`
});

/** A chip, for the CPU container. */
export const cpuIcon = new LabIcon({
  name: 'jupyterlab-ariel:cpu',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M9 9h6v6H9z"/>
    <path d="M21 11V9h-2V7a2 2 0 0 0-2-2h-2V3h-2v2h-2V3H9v2H7a2 2 0 0 0-2 2v2H3v2h2v2H3v2h2v2a2 2 0 0 0 2 2h2v2h2v-2h2v2h2v-2h2a2 2 0 0 0 2-2v-2h2v-2h-2v-2h2zm-4 6H7V7h10v10z"/>
  </g>
</svg>`
});

/** A graphics card, for the GPU container. */
export const gpuIcon = new LabIcon({
  name: 'jupyterlab-ariel:gpu',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M2 5h2v1h16a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-6v2H8v-2H4v2H2V5zm2 3v8h16V8H4z"/>
    <circle cx="9" cy="12" r="2.5"/>
    <circle cx="16" cy="12" r="2.5"/>
  </g>
</svg>`
});

export const acceleratorIcons = { cpu: cpuIcon, gpu: gpuIcon };
