/**
 * What the values that reach a Dockerfile or a build may legally be. Each rule's check returns
 * what is wrong as a phrase ("contains a line break"), or undefined when the value is fine;
 * callers add the file and key, and quote `expected`.
 */
export interface Rule {
  check(value: string): string | undefined;
  expected: string;
}

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

/** A line break, control character or space, none of which a single token may hold. */
function tokenProblem(value: string): string | undefined {
  return controlProblem(value) ?? (/\s/.test(value) ? 'contains a space' : undefined);
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

export const IMAGE_REFERENCE: Rule = {
  check: imageReferenceProblem,
  expected: 'an image reference as Docker reads it: [registry[:port]/]name[:tag][@digest], with a lower-case name'
};

function imageReferenceProblem(reference: string): string | undefined {
  const token = tokenProblem(reference);
  if (token) {
    return token;
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

export const INDEX_URL: Rule = {
  check: indexUrlProblem,
  expected: 'a URL with a scheme, such as https://mirror.example/simple, without spaces, line breaks or quotes'
};

function indexUrlProblem(url: string): string | undefined {
  const token = tokenProblem(url);
  if (token) {
    return token;
  }
  if (/["'`\\]/.test(url)) {
    return 'contains a quote or backslash';
  }
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\/\/./.test(url) || !URL.canParse(url)) {
    return 'is not a URL with a scheme';
  }
  return undefined;
}

/** Space-separated index URLs, as pip's PIP_EXTRA_INDEX_URL; a line break is not a separator. */
export const INDEX_URLS: Rule = {
  check: value =>
    controlProblem(value) ??
    value
      .split(' ')
      .filter(Boolean)
      .map(indexUrlProblem)
      .find(problem => problem !== undefined),
  expected: `space-separated URLs, each ${INDEX_URL.expected}`
};

/**
 * An MLflow tracking URI (`https://mlflow.example:5000`, `databricks`, `file:///…`): one token,
 * without credentials, which would otherwise reach the job history and dry-run output.
 */
export const TRACKING_URI: Rule = {
  check: uri =>
    tokenProblem(uri) ?? (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*@/.test(uri) ? 'carries credentials' : undefined),
  expected:
    'a tracking URI without spaces or credentials, such as https://mlflow.example:5000; give credentials as ' +
    'MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, listed in "env"'
};

/** The URL's password, when it carries one (`https://user:password@host/`). */
export function passwordOf(url: string): string | undefined {
  try {
    return new URL(url).password || undefined;
  } catch {
    return undefined;
  }
}

/**
 * `text` with the credentials of every URL in it masked, valid URL or not:
 * `ftp://carol:S3CRET@bad host/simple` becomes `ftp://***@bad host/simple`, and so does a
 * `user:password@host` without a scheme. For every message that quotes a value which may be an
 * index URL (config keys, the user config, ARIEL_* variables, requirements lines).
 */
export function maskCredentials(text: string): string {
  // Token by token, in one pass: values may be long (a 600 KB key is refused by its rule, and
  // quoted), so no pattern here may backtrack over the whole text.
  return text.replace(/[^\s"'=(,]+/g, token => {
    const at = token.lastIndexOf('@');
    if (at < 0) {
      return token;
    }
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(token)?.[0];
    if (scheme && scheme.length <= at) {
      return `${scheme}***${token.slice(at)}`;
    }
    const colon = token.indexOf(':');
    return colon > 0 && colon < at && !token.slice(0, colon).includes('/') ? `***${token.slice(at)}` : token;
  });
}

/** A rule that is a pattern, for names: what breaks it is a control character, a space, or else the pattern. */
function namePattern(pattern: RegExp, what: string, expected: string): Rule {
  return {
    check: value => tokenProblem(value) ?? (pattern.test(value) ? undefined : `is not ${what}`),
    expected
  };
}

export const NETWORK_NAME = namePattern(
  /^(?:container:)?[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/,
  'a network name',
  'a Docker network: host, none, bridge, a network name, or container:NAME'
);

export const EXTRA_NAME = namePattern(
  /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
  'an extra name',
  'an extra name: letters, digits, ".", "_" and "-", starting with a letter or digit'
);
