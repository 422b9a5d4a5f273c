import { appendFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';

/** A job's log stops growing past this size; a last line says so. */
export const MAX_LOG_BYTES = 50 * 1024 * 1024;
/** Past this total, the oldest groups' logs are removed first (when a run starts). */
export const MAX_LOGS_BYTES = 1024 * 1024 * 1024;

/** The folder of local jobs' logs, beside the job history: `logs/GROUP/INDEX.log`. */
export function logsDir(dataDir: string): string {
  return join(dataDir, 'logs');
}

/** A job's log file. Group names are checked names (no `/`), and indexes numbers. */
export function logFile(dataDir: string, group: string, index: number): string {
  return join(logsDir(dataDir), encodeURIComponent(group), `${index}.log`);
}

function folderSize(dir: string): number {
  let size = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    size += entry.isDirectory() ? folderSize(path) : statSync(path).size;
  }
  return size;
}

/**
 * Removes the oldest groups' logs (by their folder's time) until the logs take at most
 * `limit` bytes; `keep` (the run about to start) is never removed. Returns the groups removed.
 */
export function pruneLogs(dataDir: string, limit = MAX_LOGS_BYTES, keep?: string): string[] {
  const dir = logsDir(dataDir);
  let groups: { name: string; path: string; size: number; time: number }[];
  try {
    groups = readdirSync(dir, { withFileTypes: true })
      .filter(entry => entry.isDirectory())
      .map(entry => {
        const path = join(dir, entry.name);
        return { name: decodeURIComponent(entry.name), path, size: folderSize(path), time: statSync(path).mtimeMs };
      });
  } catch {
    return [];
  }
  let total = groups.reduce((sum, group) => sum + group.size, 0);
  const removed: string[] = [];
  for (const group of groups.sort((a, b) => a.time - b.time)) {
    if (total <= limit) {
      break;
    }
    if (group.name === keep) {
      continue;
    }
    rmSync(group.path, { recursive: true, force: true });
    total -= group.size;
    removed.push(group.name);
  }
  return removed;
}

/** Logs that reached their limit in this process: nothing more goes into them. */
const truncated = new Set<string>();

/**
 * Keeps each local job's output in its log file while passing it on: the returned stream takes
 * the lines `runJobs` writes (`[job N/M] line`) and appends each, without its prefix, to job N's
 * log at once (a synchronous append: a killed run loses no line it wrote), then writes it to
 * `target` unchanged. A log that reaches `maxBytes` gets a last line saying so and no more.
 */
export function teeJobLogs(
  target: NodeJS.WritableStream,
  dataDir: string,
  group: string,
  maxBytes = MAX_LOG_BYTES
): Writable {
  const append = (index: number, line: string) => {
    const file = logFile(dataDir, group, index);
    if (truncated.has(file)) {
      return;
    }
    let size = 0;
    try {
      // Asked each time: a job's stdout and stderr (two of these streams) share the file.
      size = statSync(file).size;
    } catch {
      mkdirSync(join(file, '..'), { recursive: true });
    }
    if (size + Buffer.byteLength(line) > maxBytes) {
      truncated.add(file);
      appendFileSync(file, `[ariel: log truncated at ${maxBytes} bytes; later output was not kept]\n`);
      return;
    }
    appendFileSync(file, line);
  };
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = /^\[job (\d+)\/\d+\] (.*)$/s.exec(line);
        if (match) {
          try {
            append(Number(match[1]), `${match[2]}\n`);
          } catch {
            // A full disk or a removed folder costs the log, never the run.
          }
        }
      }
      target.write(chunk, () => done());
    }
  });
}
