/**
 * The stable codes of Ariel's errors. Entry points decide what a code means to their users:
 * the CLI turns codes into exit codes and command wording, the companion server into HTTP
 * statuses; tests match codes, not message text.
 */
export type ErrorCode =
  /** A command, request or launcher was called with arguments it does not take. */
  | 'usage'
  /** A request to the companion server lacks its per-start secret. */
  | 'forbidden'
  /** The operation was cancelled (Ctrl-C, an aborted request); see CancelledError. */
  | 'cancelled'
  /** The request collides with work in progress, e.g. a job group that is being submitted. */
  | 'conflict'
  /** A file Ariel must read is missing, unreadable or of the wrong kind (a folder, a dangling link). */
  | 'file-unreadable'
  /** The project folder does not exist. */
  | 'project-not-found'
  /** `.ariel.json`, `.calibanconfig.json`, the user config or an ARIEL_* variable is malformed or breaks the schema. */
  | 'config-invalid'
  /** A value would add a line to a generated Dockerfile: a check before the generator missed it. */
  | 'dockerfile-unsafe'
  /** `requirements.txt`, `setup.py` or `pyproject.toml` cannot be honoured. */
  | 'dependencies-invalid'
  /** A feature Ariel does not have (yet), e.g. conda environments. */
  | 'unsupported'
  /** An experiment config is malformed. */
  | 'experiment-config-invalid'
  /** An experiment config expands to more jobs (or flags) than the caller allows. */
  | 'too-many-jobs'
  /** The module or script to run does not exist in the project. */
  | 'target-invalid'
  /** No Docker engine answers. */
  | 'engine-unreachable'
  /** A GPU container was asked for on a machine that cannot give one. */
  | 'gpu-unavailable'
  /** The base image cannot be found or pulled. */
  | 'base-image-unavailable'
  /** An image build failed; the message carries the failing step and its log's tail. */
  | 'build-failed'
  /** One or more jobs of a run exited non-zero. */
  | 'jobs-failed'
  /** Kernelspecs cannot be installed where asked, or their Python cannot be found. */
  | 'kernels-install-failed'
  /** A route, build, container or image named by id or reference does not exist or is not one of Ariel's. */
  | 'not-found'
  /** An image cannot be removed because a container still uses it. */
  | 'image-in-use'
  /** A cloud job's machine, accelerator, region, labels or name break Vertex AI's rules. */
  | 'cloud-spec-invalid'
  /** A machine type, accelerator or region Vertex AI's table in Ariel does not know; forcing accepts it. */
  | 'cloud-spec-unknown'
  /** A notebook cloud job was asked for without an output folder to keep the executed notebook in. */
  | 'cloud-output-missing'
  /** An image cannot be pushed to its registry (credentials, network, a refused push). */
  | 'push-failed'
  /** Vertex AI refused or did not answer a request after retries. */
  | 'cloud-request-failed'
  /** Some jobs of a submission were not created; the history says which. */
  | 'cloud-submit-incomplete'
  /** The job history has no group or job of that name, or cannot be opened. */
  | 'history-not-found'
  /** This Node.js cannot load a native module the installation carries: it was built for another Node.js major. */
  | 'node-version-mismatch'
  /** A failure that is a bug: the companion server answers it so, with the exception's message. */
  | 'internal'
  /** The server extension or the companion behind it does not answer (said by the server extension and the browser). */
  | 'companion-unavailable'
  /** A non-2xx answer without Ariel's error body, e.g. a proxy's page (said by the browser). */
  | 'http-error';

/**
 * An error the user can act on: a stable code, what went wrong, and what to do about it.
 * The CLI prints these as two lines and exits non-zero, without a stack trace;
 * the companion server sends them as JSON `{code, message, hint}`.
 */
export class ArielError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string
  ) {
    super(message);
    this.name = 'ArielError';
  }

  toJSON(): { code: ErrorCode; message: string; hint?: string } {
    return { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) };
  }
}

/** The operation was stopped on request; whatever it had started has been cleaned up. */
export class CancelledError extends ArielError {
  constructor(message: string) {
    super('cancelled', message);
    this.name = 'CancelledError';
  }
}

/** Line and column (both 1-based) of a character offset in a text. */
export function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}
