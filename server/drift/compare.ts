import { normalizeName, type Distribution } from './record.js';

/** How a running environment differs from its image's record. */
export interface Drift {
  /** Installed here, not in the image. */
  added: Distribution[];
  /** In the image, not installed here any more. */
  removed: Distribution[];
  /** In both at other versions: `version` here, `recorded` in the image. */
  changed: (Distribution & { recorded: string; direction: 'upgraded' | 'downgraded' })[];
}

/** What differs between an image's record and the distributions installed now; empty lists when none. */
export function compareDistributions(recorded: Distribution[], installed: Distribution[]): Drift {
  const before = new Map(recorded.map(d => [normalizeName(d.name), d]));
  const after = new Map(installed.map(d => [normalizeName(d.name), d]));
  const drift: Drift = { added: [], removed: [], changed: [] };
  for (const [key, d] of [...after].sort(([a], [b]) => a.localeCompare(b))) {
    const old = before.get(key);
    if (!old) {
      drift.added.push(d);
    } else if (old.version !== d.version) {
      const direction = compareVersions(d.version, old.version) >= 0 ? 'upgraded' : 'downgraded';
      drift.changed.push({ ...d, recorded: old.version, direction });
    }
  }
  for (const [key, d] of [...before].sort(([a], [b]) => a.localeCompare(b))) {
    if (!after.has(key)) {
      drift.removed.push(d);
    }
  }
  return drift;
}

export function isEmptyDrift(drift: Drift): boolean {
  return drift.added.length + drift.removed.length + drift.changed.length === 0;
}

/**
 * Orders two versions by their release numbers (`1.10.0` after `1.9.2`), then a final release
 * after its pre-releases (`2.0` after `2.0rc1`), then as text. Enough to tell an upgrade from a
 * downgrade; not a full PEP 440 implementation.
 */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const match = /^v?(\d+(?:\.\d+)*)(.*)$/i.exec(v.trim());
    return match ? { release: match[1].split('.').map(Number), rest: match[2] } : { release: [] as number[], rest: v };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.release.length, y.release.length); i++) {
    const diff = (x.release[i] ?? 0) - (y.release[i] ?? 0);
    if (diff !== 0) {
      return Math.sign(diff);
    }
  }
  const pre = (rest: string) => /^[.-]?(a|b|rc|alpha|beta|c|pre|preview|dev)/i.test(rest);
  if (pre(x.rest) !== pre(y.rest)) {
    return pre(x.rest) ? -1 : 1;
  }
  return x.rest.localeCompare(y.rest);
}

/** `tqdm 4.66.4, einops 0.8.0` */
export function describeDistributions(list: Distribution[]): string {
  return list.map(d => `${d.name} ${d.version}`).join(', ');
}
