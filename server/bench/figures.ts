/** Helpers for `npm run bench`: medians and lines of figures against a baseline of the same run. */

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export function line(label: string, ariel: number, baseline: number, baselineLabel: string): void {
  console.log(
    `${label}: ${ariel.toFixed(0)} ms vs ${baselineLabel} ${baseline.toFixed(0)} ms, ratio ${(ariel / baseline).toFixed(2)}`
  );
}

/** Milliseconds `action` takes. */
export async function timed(action: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await action();
  return performance.now() - started;
}
