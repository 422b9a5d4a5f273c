/**
 * The names Ariel's TypeScript and its Python glue (`jupyterlab_ariel/names.py`) both spell,
 * spelled once here; `names.test.ts` checks that the Python copies equal these.
 */
import type { FinalJobState, KernelNames, NotSubmittedState, SubmittingState } from './http/contract.js';

/** The header every request to the companion server carries, with its per-start secret. */
export const SECRET_HEADER = 'X-Ariel-Secret';

/** The companion prints this and its socket's path on stdout once it listens. */
export const COMPANION_READY = 'ARIEL_COMPANION_LISTENING';

/** The kernel launcher's own stderr lines start so: what went wrong and what to do, which Jupyter shows. */
export const LAUNCHER_PREFIX = '[Ariel] ';

/** The launcher's line once the kernel container runs (the image follows in parentheses). */
export const KERNEL_STARTED = `${LAUNCHER_PREFIX}Kernel container started`;

/** The kernelspec names `ariel kernels install` writes, by accelerator. */
export const KERNEL_NAMES: KernelNames = { cpu: 'ariel-cpu', gpu: 'ariel-gpu' };

/** A job that Ariel has not (yet) created on its platform. */
export const SUBMITTING: SubmittingState = 'SUBMITTING';
/** Never created: the submission failed for good, or was interrupted before it. */
export const NOT_SUBMITTED: NotSubmittedState = 'NOT_SUBMITTED';
/** States after which a job changes no more. */
export const FINAL_JOB_STATES: readonly FinalJobState[] = [
  NOT_SUBMITTED,
  'JOB_STATE_SUCCEEDED',
  'JOB_STATE_FAILED',
  'JOB_STATE_CANCELLED',
  'JOB_STATE_EXPIRED',
  'JOB_STATE_PARTIALLY_SUCCEEDED'
];
