import { diffLines } from 'diff';

/** Bytes as a person reads them: 312 MB, 1.4 GB. */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** How long ago an ISO time was: "just now", "5 minutes ago", "3 days ago". */
export function formatAge(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  if (Number.isNaN(seconds)) {
    return '';
  }
  const steps: [number, string][] = [
    [60 * 60 * 24 * 365, 'year'],
    [60 * 60 * 24 * 30, 'month'],
    [60 * 60 * 24, 'day'],
    [60 * 60, 'hour'],
    [60, 'minute']
  ];
  for (const [size, name] of steps) {
    const count = Math.floor(seconds / size);
    if (count >= 1) {
      return `${count} ${name}${count > 1 ? 's' : ''} ago`;
    }
  }
  return 'just now';
}

export interface IDiffLine {
  kind: 'same' | 'added' | 'removed';
  text: string;
}

/** A line diff of two texts, every line of both in order. */
export function lineDiff(before: string, after: string): IDiffLine[] {
  return diffLines(before, after).flatMap(part =>
    part.value
      .replace(/\n$/, '')
      .split('\n')
      .map(text => ({ kind: part.added ? 'added' : part.removed ? 'removed' : 'same', text }) as IDiffLine)
  );
}

/** Words as a shell would split them, with '…' and "…" quoting. */
export function splitArgs(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map(m => m[1] ?? m[2] ?? m[3]);
}
