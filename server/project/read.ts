import { closeSync, fstatSync, lstatSync, openSync, readlinkSync, readSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ArielError, type ErrorCode } from '../errors.js';
import { isInside } from '../paths.js';

/** Project files Ariel reads are small; anything larger is a mistake, not a config. */
export const MAX_TEXT_FILE_BYTES = 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a text file the user gave Ariel, with an error that names the file and says what was
 * expected when it is missing, a dangling symbolic link, a folder, too large or not UTF-8.
 */
export function readTextFile(path: string, maxBytes = MAX_TEXT_FILE_BYTES): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw unreadable(path, error as NodeJS.ErrnoException);
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) {
      throw new ArielError('file-unreadable', `${path} is a folder, not a file.`, 'Replace it with a text file.');
    }
    if (!stats.isFile()) {
      throw new ArielError('file-unreadable', `${path} is not a regular file.`, 'Replace it with a text file.');
    }
    if (stats.size > maxBytes) {
      throw tooLarge(path, `${stats.size} bytes`, maxBytes);
    }
    const buffer = Buffer.alloc(stats.size);
    let read = 0;
    while (read < stats.size) {
      const n = readSync(fd, buffer, read, stats.size - read, read);
      if (n === 0) {
        break;
      }
      read += n;
    }
    return decode(path, buffer.subarray(0, read));
  } finally {
    closeSync(fd);
  }
}

/** Reads a stream the user gave Ariel (such as standard input) with readTextFile's limit and checks. */
export async function readTextStream(
  stream: AsyncIterable<Buffer | string>,
  name: string,
  maxBytes = MAX_TEXT_FILE_BYTES
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > maxBytes) {
      throw tooLarge(name, `more than ${maxBytes} bytes`, maxBytes);
    }
    chunks.push(bytes);
  }
  return decode(name, Buffer.concat(chunks));
}

function tooLarge(name: string, size: string, maxBytes: number): ArielError {
  return new ArielError(
    'file-unreadable',
    `${name} is ${size}; Ariel reads at most ${maxBytes} bytes from such a file.`,
    'Check that it is the file you meant.'
  );
}

function decode(path: string, bytes: Uint8Array): string {
  try {
    // A byte-order mark is allowed and dropped, as editors on some platforms write one.
    return utf8.decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    throw new ArielError(
      'file-unreadable',
      `${path} is not valid UTF-8 text.`,
      'Save it as UTF-8 (most editors have this in their "save as" or encoding menu).'
    );
  }
}

function unreadable(path: string, error: NodeJS.ErrnoException): ArielError {
  if (error.code === 'ENOENT') {
    const target = danglingTarget(path);
    if (target !== undefined) {
      return new ArielError(
        'file-unreadable',
        `${path} is a symbolic link to ${target}, which does not exist.`,
        'Point the link at an existing file, or remove it.'
      );
    }
    return new ArielError('file-unreadable', `${path} does not exist.`, 'Check the path.');
  }
  if (error.code === 'EACCES' || error.code === 'EPERM') {
    return new ArielError('file-unreadable', `${path} cannot be read: permission denied.`, 'Make it readable.');
  }
  if (error.code === 'EISDIR') {
    return new ArielError('file-unreadable', `${path} is a folder, not a file.`, 'Replace it with a text file.');
  }
  if (error.code === 'ENOTDIR') {
    return new ArielError('file-unreadable', `${path} does not exist (a part of it is a file).`, 'Check the path.');
  }
  return new ArielError('file-unreadable', `${path} cannot be read (${error.code ?? error.message}).`, 'Check it.');
}

/** Whether anything is at `path`, a dangling symbolic link included (which readTextFile then reports). */
export function entryExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The target of a symbolic link at `path`, when it is one. */
function danglingTarget(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The symbolic link that leads `path` out of the folder `root` (`path` itself, or a folder on the
 * way), dangling or not; undefined when every link on the way stays inside. Only the links are
 * judged, never whether what they point at exists, so the answer tells nothing about files
 * outside `root`.
 */
export function linkOutOf(root: string, path: string): string | undefined {
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return undefined;
  }
  if (!isInside(root, path)) {
    return undefined;
  }
  const inRoot = relative(root, path);
  let current = root;
  for (const part of inRoot.split(sep).filter(Boolean)) {
    current = join(current, part);
    let isLink: boolean;
    try {
      isLink = lstatSync(current).isSymbolicLink();
    } catch {
      return undefined;
    }
    if (isLink && !isInside(realRoot, linkTarget(current))) {
      return current;
    }
  }
  return undefined;
}

/** Where a link leads: its real path, or for a dangling one, where its (last) text points. */
function linkTarget(link: string): string {
  try {
    return realpathSync(link);
  } catch {
    try {
      return resolve(realpathSync(dirname(link)), readlinkSync(link));
    } catch {
      return link;
    }
  }
}

/**
 * Refuses a project file that a symbolic link takes out of the project, as folder links out of
 * Jupyter's root are refused: its content would be echoed in errors and built into images.
 */
export function refuseLinkOut(root: string, path: string, code: ErrorCode = 'file-unreadable'): void {
  const link = linkOutOf(root, path);
  if (link !== undefined) {
    throw new ArielError(
      code,
      `${link} is a symbolic link that leads out of the project ${root}; Ariel reads only files inside it.`,
      'Copy the file into the project instead of linking to it, or point the link at a file inside the project.'
    );
  }
}

/** readTextFile for a file of the project at `root`, refused when a link takes it out of the project. */
export function readProjectFile(root: string, path: string): string {
  refuseLinkOut(root, path);
  return readTextFile(path);
}
