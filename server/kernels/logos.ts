import type { Accelerator } from '../project/config.js';

/**
 * The logos of the `ariel-cpu` and `ariel-gpu` kernelspecs (`logo-svg.svg`), so JupyterLab's
 * launcher and kernel picker tell the container kernels apart at a glance: a box (the container)
 * with CPU or GPU written on it.
 */
export function kernelLogo(accelerator: Accelerator): string {
  const color = accelerator === 'gpu' ? '#3a7d44' : '#3776ab';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
  <path d="M32 3 6 16v32l26 13 26-13V16L32 3z" fill="${color}"/>
  <path d="M32 3 6 16l26 13 26-13L32 3z" fill="#ffd43b"/>
  <text x="32" y="50" font-family="sans-serif" font-size="17" font-weight="bold" fill="#fff" text-anchor="middle">${accelerator.toUpperCase()}</text>
</svg>
`;
}
