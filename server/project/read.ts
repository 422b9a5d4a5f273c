import { closeSync, fstatSync, lstatSync, openSync, readlinkSync, readSync } from 'node:fs';
import { ArielError } from '../errors.js';

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
