import type { Accelerator, ImageRecord, Mode } from '../api';
import type { IDockerfilePair } from './dockerfileMerge';

/** The Dockerfile inspector's pickers. */
export interface IInspectorChoice {
  mode: Mode;
  accelerator: Accelerator;
  /** The CPU and the GPU image's Dockerfiles side by side instead of one. */
  compare: boolean;
}

/** The Dockerfiles the inspector asks for: the chosen one, and for the comparison the CPU's and the GPU's. */
export function dockerfilesFor(choice: IInspectorChoice): { mode: Mode; accelerator: Accelerator }[] {
  const { mode } = choice;
  return choice.compare
    ? [
        { mode, accelerator: 'cpu' },
        { mode, accelerator: 'gpu' }
      ]
    : [{ mode, accelerator: choice.accelerator }];
}

/** A picker changed: the new choice. Comparing shows both accelerators, so picking one ends the comparison. */
export function choose(choice: IInspectorChoice, change: Partial<IInspectorChoice>): IInspectorChoice {
  const next = { ...choice, ...change };
  if (change.accelerator !== undefined && change.compare === undefined) {
    next.compare = false;
  }
  return next;
}

/**
 * What "Dockerfile as built" of an image shows: its Dockerfile alone when it is current (or its
 * currency cannot be told), and for an outdated one its difference from the Dockerfile the
 * project generates now, side by side.
 */
export function asBuiltView(
  record: ImageRecord
):
  | { kind: 'single'; text: string }
  | { kind: 'compare'; pair: IDockerfilePair; current: string; sameDockerfile: boolean } {
  if (!record.current) {
    return { kind: 'single', text: record.dockerfile };
  }
  return {
    kind: 'compare',
    current: record.current.image,
    // Outdated by the files it copies (requirements.txt, say), not by its instructions.
    sameDockerfile: record.current.dockerfile === record.dockerfile,
    pair: {
      a: { title: `As built: ${record.image}`, text: record.dockerfile },
      b: { title: `Current: ${record.current.image}`, text: record.current.dockerfile }
    }
  };
}
