import { MODES, type Mode } from '../dockerfile/generate.js';
import { ACCELERATORS, type Accelerator } from '../project/config.js';

/**
 * An image a container starts from: one Ariel built (ImageRef) or an existing one the user named
 * (GivenImage). Its accelerator decides whether the container gets GPUs.
 */
export interface RunnableImage {
  /** How the engine is asked for it: `repository:tag`, `repository@sha256:…` or an id. */
  readonly name: string;
  readonly accelerator: Accelerator;
}

/**
 * An existing image named with `--image` (a local name, or by digest): used as given, never built.
 * It serialises (JSON, template strings) as the name the user gave, which the history keeps.
 */
export class GivenImage implements RunnableImage {
  constructor(
    readonly name: string,
    readonly accelerator: Accelerator,
    /** The engine's id of the image (`sha256:…`), once it was found. */
    readonly id?: string
  ) {}

  toString(): string {
    return this.name;
  }

  toJSON(): string {
    return this.name;
  }
}

/** `<mode>-<cpu|gpu>-<12 hex digits of the content hash>` */
const TAG = /^([a-z]+)-([a-z]+)-([0-9a-f]{12})$/;

/**
 * A reference to an image Ariel builds, `ariel/<project>:<mode>-<accelerator>-<hash>`, that
 * carries its mode and accelerator: whatever starts a container from it derives GPU requests
 * from the image itself, so a CPU image is never started with GPU device requests.
 * It serialises (JSON, template strings) as the plain `repository:tag` the engine knows.
 */
export class ImageRef {
  private constructor(
    /** e.g. `ariel/my-project` */
    readonly repository: string,
    readonly mode: Mode,
    readonly accelerator: Accelerator,
    /** The first 12 hex digits of the build context's content hash. */
    readonly hash: string
  ) {}

  static of(repository: string, mode: Mode, accelerator: Accelerator, contentHash: string): ImageRef {
    if (!/^[0-9a-f]{12,}$/.test(contentHash)) {
      throw new Error(`Not a content hash: ${contentHash}`);
    }
    return new ImageRef(repository, mode, accelerator, contentHash.slice(0, 12));
  }

  /** The reference named by `repository:tag`, or undefined when it is not one of Ariel's tags. */
  static parse(name: string): ImageRef | undefined {
    const colon = name.lastIndexOf(':');
    if (colon <= 0 || name.indexOf('/', colon) >= 0) {
      return undefined;
    }
    const match = TAG.exec(name.slice(colon + 1));
    if (!match) {
      return undefined;
    }
    const [, mode, accelerator, hash] = match;
    if (!(MODES as readonly string[]).includes(mode) || !(ACCELERATORS as readonly string[]).includes(accelerator)) {
      return undefined;
    }
    return new ImageRef(name.slice(0, colon), mode as Mode, accelerator as Accelerator, hash);
  }

  get tag(): string {
    return `${this.mode}-${this.accelerator}-${this.hash}`;
  }

  /** `repository:tag`, as the engine names the image. */
  get name(): string {
    return `${this.repository}:${this.tag}`;
  }

  toString(): string {
    return this.name;
  }

  toJSON(): string {
    return this.name;
  }
}
