import { ArielError } from '../errors.js';

/** The way out when no GPU is available, in the words of JupyterLab's kernel picker. */
const CPU_KERNEL = 'Use the "Python 3 (CPU container)" kernel instead';

/**
 * Why a container kernel could not start, as non-empty lines: what went wrong, then what to do.
 * The launcher prints them and the companion server sends them; either way they end in
 * JupyterLab's "Error Starting Kernel" dialog and in the kernels API's answer.
 */
export function explainKernelFailure(error: unknown): string[] {
  const lines =
    error instanceof ArielError
      ? [error.message, (error.code === 'gpu-unavailable' ? `${CPU_KERNEL}; ${error.hint}` : error.hint) ?? '']
      : [`The container kernel could not start: ${(error as Error)?.message ?? error}`];
  return lines
    .join('\n')
    .split('\n')
    .filter(line => line.trim());
}
