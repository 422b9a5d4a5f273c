/**
 * What the values that reach a Dockerfile or a build may legally be. Each check returns the
 * broken rule as a phrase ("contains a line break"), or undefined when the value is fine;
 * callers add the file and key.
 */

/** Line breaks (also Unicode's), tabs and every other control character. */
export const CONTROL_CHARACTER = /[\p{Cc}\u2028\u2029]/u;

function controlProblem(value: string): string | undefined {
  const match = CONTROL_CHARACTER.exec(value);
  if (!match) {
    return undefined;
  }
  return /[\n\r\u2028\u2029\u0085]/.test(match[0])
    ? 'contains a line break'
    : `contains the control character U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

// Docker's image reference grammar (github.com/distribution/reference, regexp.go):
// [host[:port]/]path-component[/path-component...][:tag][@digest].
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = `(?:${HOST}(?::[0-9]+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);
/** Docker's limit on the length of a repository name (registry and path). */
const NAME_MAX = 255;
/** Name, tag and the longest digest together; longer input is refused before any regular expression sees it. */
const REFERENCE_MAX = NAME_MAX + 1 + 128 + 1 + 200;

export const IMAGE_REFERENCE_RULE =
  'an image reference as Docker reads it: [registry[:port]/]name[:tag][@digest], with a lower-case name';

/** Why `reference` is not an image reference Docker accepts, or undefined. */
export function imageReferenceProblem(reference: string): string | undefined {
  const control = controlProblem(reference);
  if (control) {
    return control;
  }
  if (/\s/.test(reference)) {
    return 'contains a space';
  }
  if (reference.length > REFERENCE_MAX) {
    return `is ${reference.length} characters long (at most ${REFERENCE_MAX})`;
  }
  const match = REFERENCE.exec(reference);
  if (!match) {
    const name = reference.split('@')[0].replace(/:[^/]*$/, '');
    return /[A-Z]/.test(name.slice(name.indexOf('/') + 1))
      ? 'has upper-case letters in its repository name'
      : 'is not an image reference';
  }
  if (match[1].length > NAME_MAX) {
    return `has a name of ${match[1].length} characters (at most ${NAME_MAX})`;
  }
  return undefined;
}

export const INDEX_URL_RULE =
  'a URL with a scheme, such as https://mirror.example/simple, without spaces, line breaks or quotes';

/** Why `url` cannot be a pip index URL, or undefined. */
export function indexUrlProblem(url: string): string | undefined {
  const control = controlProblem(url);
  if (control) {
    return control;
  }
  if (/\s/.test(url)) {
    return 'contains a space';
  }
  if (/["'`\\]/.test(url)) {
    return 'contains a quote or backslash';
  }
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\/./.test(url) || !URL.canParse(url)) {
    return 'is not a URL with a scheme';
  }
  return undefined;
}

/** The URL's password, when it carries one (`https://user:password@host/`). */
export function passwordOf(url: string): string | undefined {
  try {
    return new URL(url).password || undefined;
  } catch {
    return undefined;
  }
}

export const NETWORK_RULE = 'a Docker network: host, none, bridge, a network name, or container:NAME';
const NETWORK = /^(?:container:)?[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

/** Why `network` cannot be a build's network mode, or undefined. */
export function networkProblem(network: string): string | undefined {
  return controlProblem(network) ?? (NETWORK.test(network) ? undefined : 'is not a network name');
}

export const EXTRA_RULE = 'an extra name: letters, digits, ".", "_" and "-", starting with a letter or digit';
const EXTRA = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Why `extra` cannot name an extra of a Python package, or undefined. */
export function extraProblem(extra: string): string | undefined {
  return controlProblem(extra) ?? (EXTRA.test(extra) ? undefined : 'is not an extra name');
}
