import { ArielError } from '../errors.js';

/** Vertex AI's limits: https://cloud.google.com/vertex-ai/docs/training/create-custom-job (labels). */
const MAX_LENGTH = 63;
const MAX_LABELS = 64;
const MAX_DISPLAY_NAME = 128;
/** Room for the "-123" each job appends to its group's name. */
const JOB_SUFFIX_ROOM = 8;

/** Keys Ariel sets on every job; users may not set them. */
export const ARIEL_LABELS = {
  group: 'ariel_group',
  experiment: 'ariel_experiment',
  /** Unique per creation request, so a retry after a lost response finds the job it created. */
  request: 'ariel_request',
  project: 'ariel_project'
} as const;

/**
 * A label key or value as Vertex AI takes it: lowercase letters (any script), digits,
 * `_` and `-`, at most 63 characters; anything else becomes `-`.
 */
export function sanitizeLabel(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{Ll}\p{Lo}\p{N}_-]/gu, '-')
    .slice(0, MAX_LENGTH);
}

export interface LabelResult {
  labels: Record<string, string>;
  warnings: string[];
}

/** Parses repeated `--label key=value`, sanitising both sides; changes come back as warnings. */
export function parseLabels(pairs: string[]): LabelResult {
  const labels: Record<string, string> = {};
  const warnings: string[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) {
      throw new ArielError(
        'cloud-spec-invalid',
        `Label "${pair}" is not key=value.`,
        'Write key=value, e.g. team=vision (the value may be empty: draft=).'
      );
    }
    const [rawKey, rawValue] = [pair.slice(0, eq), pair.slice(eq + 1)];
    const key = sanitizeLabel(rawKey);
    const value = sanitizeLabel(rawValue);
    if (!/^\p{Ll}/u.test(key)) {
      throw new ArielError(
        'cloud-spec-invalid',
        `Label key "${rawKey}" does not start with a letter.`,
        'Vertex AI label keys start with a lowercase letter, e.g. r1=... rather than 1=...'
      );
    }
    if (key.startsWith('goog') || Object.values(ARIEL_LABELS).includes(key as never)) {
      throw new ArielError(
        'cloud-spec-invalid',
        `Label key "${rawKey}" is reserved.`,
        `Keys starting with "goog" belong to Google, and ${Object.values(ARIEL_LABELS).join(', ')} to Ariel; pick another key.`
      );
    }
    if (key !== rawKey || value !== rawValue) {
      warnings.push(
        `label ${rawKey}=${rawValue} became ${key}=${value} (Vertex AI allows lowercase letters, digits, _ and -, 63 characters).`
      );
    }
    if (key in labels && labels[key] !== value) {
      warnings.push(`label ${key} was given twice; keeping ${key}=${value}.`);
    }
    labels[key] = value;
  }
  if (Object.keys(labels).length + Object.keys(ARIEL_LABELS).length > MAX_LABELS) {
    throw new ArielError(
      'cloud-spec-invalid',
      `Too many labels: ${Object.keys(labels).length}.`,
      `Vertex AI takes ${MAX_LABELS} per job, ${Object.keys(ARIEL_LABELS).length} of which are Ariel's.`
    );
  }
  return { labels, warnings };
}

/** How many labels a job may carry besides Ariel's own. */
export function labelRoom(userLabels: number): number {
  return MAX_LABELS - Object.keys(ARIEL_LABELS).length - userLabels;
}

/**
 * A job's script arguments as labels, as Caliban makes them, so that jobs can be filtered by
 * their flags in the console: `--lr 0.01` and `--lr=0.01` become `lr: 0-01`, a flag without a
 * value (`--deep`) `deep: ""`; positional arguments are skipped. Keys and values are sanitised;
 * a key that does not start with a letter after that, or that is reserved, is left out. The
 * first `room` labels are kept (Vertex AI takes 64 per job); `dropped` names the rest.
 */
export function argLabels(args: string[], room: number): { labels: Record<string, string>; dropped: string[] } {
  const labels: Record<string, string> = {};
  const dropped: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = /^--?([^-=][^=]*)(?:=(.*))?$/s.exec(args[i]);
    if (!flag || /^-?\d/.test(args[i].slice(1))) {
      continue; // a positional argument, or a negative number
    }
    let value = flag[2];
    const next = args[i + 1];
    if (value === undefined && next !== undefined && (!next.startsWith('-') || /^-\d/.test(next))) {
      value = args[++i];
    }
    const key = sanitizeLabel(flag[1]);
    if (!/^\p{Ll}/u.test(key) || key.startsWith('goog') || Object.values(ARIEL_LABELS).includes(key as never)) {
      continue;
    }
    if (key in labels || Object.keys(labels).length < room) {
      labels[key] = sanitizeLabel(value ?? '');
    } else if (!dropped.includes(key)) {
      dropped.push(key);
    }
  }
  return { labels, dropped };
}

/** A group name becomes its jobs' display names ("NAME-3") and the ariel_group label. */
export function checkGroupName(name: string): string {
  // eslint-disable-next-line no-control-regex
  if (!name.trim() || /[\x00-\x1f\x7f]/.test(name) || name.length > MAX_DISPLAY_NAME - JOB_SUFFIX_ROOM) {
    throw new ArielError(
      'cloud-spec-invalid',
      `Name ${JSON.stringify(name)} cannot name a job group.`,
      `Give 1 to ${MAX_DISPLAY_NAME - JOB_SUFFIX_ROOM} printable characters, e.g. resnet-lr-sweep.`
    );
  }
  const label = sanitizeLabel(name);
  if (label !== name) {
    throw new ArielError(
      'cloud-spec-invalid',
      `Name "${name}" is also the jobs' ariel_group label, which allows lowercase letters, digits, _ and - only (at most ${MAX_LENGTH}).`,
      `Use e.g. ${label.replace(/^-+|-+$/g, '') || 'my-sweep'}.`
    );
  }
  return name;
}

/** The default group name: the project's and the time, e.g. "demo-20261127-013000". */
export function defaultGroupName(projectName: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${sanitizeLabel(projectName).slice(0, MAX_LENGTH - stamp.length - 1)}-${stamp}`;
}
