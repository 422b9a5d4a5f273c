import { ArielError } from '../errors.js';
import { CONTROL_CHARACTER, IMAGE_REFERENCE } from '../project/values.js';

/**
 * What the ids and names in request paths may be, checked at the HTTP edge before anything
 * reaches the engine or a registry: a malformed one is a 400 that says what was expected, never
 * a path the engine cleans (`a/../b`), a redirect, or a 500.
 */

/** Longer path parts than this are no id of anything Ariel names; they are refused unread. */
const MAX_PART = 512;

/** A path part any route takes: not empty, not too long, no control character. */
export function pathPart(value: string, what: string): string {
  if (!value) {
    throw malformed(what, value, 'is empty');
  }
  if (value.length > MAX_PART) {
    throw malformed(what, value, `is ${value.length} characters long (at most ${MAX_PART})`);
  }
  if (CONTROL_CHARACTER.test(value)) {
    throw malformed(what, value, 'contains a control character');
  }
  return value;
}

/** Docker's container ids (hex, full or a prefix) and names (`[a-zA-Z0-9][a-zA-Z0-9_.-]+`). */
const CONTAINER = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;

export function containerId(value: string): string {
  pathPart(value, 'container id');
  if (!CONTAINER.test(value)) {
    throw malformed('container id', value, 'is not a container id or name', 'a container id or name as listed');
  }
  return value;
}

/**
 * An image reference by Docker's grammar (`[registry[:port]/]name[:tag][@digest]`); whether it is
 * an image Ariel built is for the lookup to say (a 404 when it is not).
 */
export function imageReference(value: string): string {
  pathPart(value, 'image reference');
  const problem = IMAGE_REFERENCE.check(value);
  if (problem !== undefined) {
    throw malformed(
      'image reference',
      value,
      problem,
      "an image Ariel built, ariel/<project>:<mode>-<cpu|gpu>-<hash>, with the '/' encoded as %2F"
    );
  }
  return value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The ids the companion itself makes for builds and submissions: UUIDs. */
export function companionId(value: string, what: 'build' | 'submission'): string {
  pathPart(value, `${what} id`);
  if (!UUID.test(value)) {
    throw malformed(`${what} id`, value, 'is not an id the companion server made', `a ${what} id as listed`);
  }
  return value;
}

/** A kernel id as the companion hands it to the provisioner: letters, digits, '.', '_' and '-'. */
const KERNEL = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function kernelId(value: string): string {
  pathPart(value, 'kernel id');
  if (!KERNEL.test(value)) {
    throw malformed('kernel id', value, 'is not a kernel id', 'the kernel id the companion answered the start with');
  }
  return value;
}

function malformed(what: string, value: string, problem: string, expected = `a ${what}`): ArielError {
  const shown = value.length > 80 ? `${value.slice(0, 80)}… (${value.length} characters)` : value;
  return new ArielError('usage', `The ${what} ${JSON.stringify(shown)} ${problem}.`, `Send ${expected}.`);
}
