/**
 * The companion server's HTTP and WebSocket contract under `{baseUrl}ariel/`, as the browser sees
 * it. The types are the server's own (`server/http/contract.ts`), imported as types only: the
 * browser bundle gets none of the server's code, and a change on one side that breaks the other
 * fails `tsc`. The few values the frontend needs at run time are typed against that contract.
 */
import type { Accelerator, KernelNames, Mode } from '../server/http/contract';

export type * from '../server/http/contract';

export const ACCELERATORS: readonly Accelerator[] = ['cpu', 'gpu'];

export const MODES: readonly Mode[] = ['notebook', 'shell', 'run', 'cloud'];

/** The kernelspec names `ariel kernels install` writes. */
export const KERNEL_NAMES: KernelNames = { cpu: 'ariel-cpu', gpu: 'ariel-gpu' };
