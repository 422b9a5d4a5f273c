import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../testing/browser.js';
import { JUPYTER_ENV, JupyterServer } from '../testing/jupyter.js';
import { line, median } from './figures.js';
import { settle, treeCpuMs } from './processes.js';

/** The frontend package's name, as JupyterLab lists prebuilt extensions. */
const LABEXTENSION = 'jupyterlab-ariel';

type Side = 'ariel' | 'baseline';

/** Every prebuilt extension on Jupyter's labextensions path: its package name and folder. */
function labextensions(): { name: string; folder: string }[] {
  const paths = JSON.parse(
    execFileSync(
      join(JUPYTER_ENV, 'bin', 'python'),
      [
        '-c',
        "import json; from jupyter_core.paths import jupyter_path; print(json.dumps(jupyter_path('labextensions')))"
      ],
      { encoding: 'utf8' }
    )
  ) as string[];
  const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);
  return paths.flatMap(dir =>
    entries(dir).flatMap(name =>
      name.startsWith('@')
        ? entries(join(dir, name)).map(inner => ({ name: `${name}/${inner}`, folder: join(dir, name, inner) }))
        : [{ name, folder: join(dir, name) }]
    )
  );
}

/**
 * Jupyter config folders (for JUPYTER_CONFIG_PATH) for the two sides, each with its own
 * workspaces and settings: both expose the app to the page (to tell when it is restored); the
 * baseline has neither Ariel's server extension nor its prebuilt extension, which is left out of
 * a labextensions path made of all the others (a merely disabled extension's code is still fetched).
 */
function configs(scratch: string): Record<Side, string> {
  const others = join(scratch, 'labextensions');
  const seen = new Set([LABEXTENSION]);
  for (const { name, folder } of labextensions()) {
    if (!seen.has(name)) {
      seen.add(name);
      mkdirSync(dirname(join(others, name)), { recursive: true });
      symlinkSync(folder, join(others, name));
    }
  }
  const config = (side: Side, extra: { ServerApp?: object; LabApp?: object }) => {
    const dir = join(scratch, side);
    mkdirSync(dir);
    const LabApp = {
      expose_app_in_browser: true,
      workspaces_dir: join(dir, 'workspaces'),
      user_settings_dir: join(dir, 'settings'),
      ...extra.LabApp
    };
    writeFileSync(join(dir, 'jupyter_server_config.json'), JSON.stringify({ ...extra, LabApp }));
    return dir;
  };
  return {
    ariel: config('ariel', {}),
    baseline: config('baseline', {
      ServerApp: { jpserver_extensions: { jupyterlab_ariel: false } },
      LabApp: { labextensions_path: [others], extra_labextensions_path: [] }
    })
  };
}

/**
 * Records, in the page's own clock, when JupyterLab has restored its layout (all plugins
 * activated), and what the page had requested by then.
 */
const RESTORED_PROBE = `(() => {
  const wait = setInterval(() => {
    if (window.jupyterapp) {
      clearInterval(wait);
      window.jupyterapp.restored.then(() => {
        window.arielRestoredAt = performance.now();
        window.arielRequests = performance.getEntriesByType('resource')
          .filter(entry => entry.startTime < window.arielRestoredAt)
          .map(entry => ({ url: entry.name, bytes: entry.encodedBodySize }));
      });
    }
  }, 5);
})();`;

type Page = Awaited<ReturnType<Browser['newPage']>>;

/** One load of the page: what a user waits for, and what it cost. */
interface Load {
  /** Milliseconds from navigation to JupyterLab restored. */
  ms: number;
  /** The requests the page made before restored, with their bodies' sizes. */
  requests: { url: string; bytes: number }[];
  /** CPU time of the server side (Jupyter Server and every process it started) during the load. */
  serverCpuMs: number;
  /** Main-thread script time of the page to restored. */
  scriptMs: number;
}

async function load(page: Page, url: string, serverPid: number): Promise<Load> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const scriptTime = async () =>
    (await cdp.send('Performance.getMetrics')).metrics.find(metric => metric.name === 'ScriptDuration')!.value;
  const scriptBefore = await scriptTime();
  const cpuBefore = treeCpuMs(serverPid);
  await page.goto(url);
  const handle = await page.waitForFunction(() => (window as { arielRestoredAt?: number }).arielRestoredAt, null, {
    timeout: 120_000,
    polling: 50
  });
  const serverCpuMs = treeCpuMs(serverPid) - cpuBefore;
  const scriptMs = ((await scriptTime()) - scriptBefore) * 1000;
  await cdp.detach();
  const requests = (await page.evaluate(
    () => (window as { arielRequests?: unknown }).arielRequests
  )) as Load['requests'];
  return { ms: (await handle.jsonValue()) as number, requests, serverCpuMs, scriptMs };
}

/** The value below which a `share` of `values` lie (0.5: the median). */
function quantile(values: number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))];
}

const spread = (values: number[], digits = 0) =>
  `${quantile(values, 0.25).toFixed(digits)}–${quantile(values, 0.75).toFixed(digits)}`;

const loadAverage = () => loadavg()[0].toFixed(1);

/** Ariel's own requests: its prebuilt extension's files and its server routes. */
const isAriel = (url: string) => url.includes(`/lab/extensions/${LABEXTENSION}/`) || /\/ariel\//.test(url);

/**
 * JupyterLab's page load with Ariel against without it, in Debian's Chromium: the two servers in
 * alternated rounds (ABBA, so neither side always follows the other), each round a first visit
 * (a new browser context, nothing cached) and a reload, every load starting with both servers
 * idle. Prints the medians with the middle half of the values, the ratio of the medians and of
 * the rounds' paired ratios, and what a machine's load cannot change: the requests and bytes
 * before "restored", the server side's CPU time and the page's script time.
 */
export async function benchPageLoad(rounds: number): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'ariel-bench-page-'));
  const root = join(scratch, 'root');
  mkdirSync(root);
  writeFileSync(join(root, 'requirements.txt'), 'six\n');
  const config = configs(scratch);
  const servers = {
    ariel: new JupyterServer(root, { JUPYTER_CONFIG_PATH: config.ariel }),
    baseline: new JupyterServer(root, { JUPYTER_CONFIG_PATH: config.baseline })
  };
  const browser = await launchBrowser();
  const pids = () => Object.values(servers).map(server => server.pid);
  try {
    await Promise.all(Object.values(servers).map(server => server.start()));
    const loads: Record<Side, { first: Load[]; reload: Load[] }> = {
      ariel: { first: [], reload: [] },
      baseline: { first: [], reload: [] }
    };
    const averageBefore = loadAverage();
    for (let round = -1; round < rounds; round++) {
      const order: Side[] = round % 2 === 0 ? ['baseline', 'ariel'] : ['ariel', 'baseline'];
      for (const side of order) {
        const server = servers[side];
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.addInitScript(RESTORED_PROBE);
        await settle(pids());
        const first = await load(page, `${server.url}/lab?token=${server.token}`, server.pid);
        // What was measured is what it claims: Ariel's launcher section on one side only.
        // (The launcher opens once the layout is restored.)
        await page.locator('.jp-LauncherCard').first().waitFor({ timeout: 60_000 });
        const hasAriel = (await page.locator('.jp-Launcher-sectionTitle', { hasText: 'Ariel' }).count()) > 0;
        if (hasAriel !== (side === 'ariel')) {
          throw new Error(`page load: the ${side} page ${hasAriel ? 'has' : 'lacks'} Ariel's launcher section`);
        }
        await settle(pids());
        const reload = await load(page, `${server.url}/lab`, server.pid);
        await context.close();
        // Round -1 warms both servers up (their first page builds caches), not measured.
        if (round >= 0) {
          loads[side].first.push(first);
          loads[side].reload.push(reload);
        }
      }
    }
    console.log(
      `JupyterLab page load to "restored", Chromium, ${rounds} alternated rounds, each load with both servers idle ` +
        `(load average ${averageBefore} before, ${loadAverage()} after; goal: ratio <= 1.1)`
    );
    for (const kind of ['first', 'reload'] as const) {
      const ms = (side: Side) => loads[side][kind].map(one => one.ms);
      const paired = ms('ariel').map((value, round) => value / ms('baseline')[round]);
      const label = kind === 'first' ? '  first visit with Ariel' : '  reload with Ariel';
      line(label, median(ms('ariel')), median(ms('baseline')), 'without');
      console.log(
        `    middle half: with ${spread(ms('ariel'))} ms, without ${spread(ms('baseline'))} ms; ` +
          `paired ratio of a round: median ${median(paired).toFixed(2)}, middle half ${spread(paired, 2)}`
      );
      const cpu = (side: Side) => median(loads[side][kind].map(one => one.serverCpuMs));
      const script = (side: Side) => median(loads[side][kind].map(one => one.scriptMs));
      console.log(
        `    CPU (medians): server side with ${cpu('ariel').toFixed(0)} ms, without ${cpu('baseline').toFixed(0)} ms; ` +
          `page scripts with ${script('ariel').toFixed(0)} ms, without ${script('baseline').toFixed(0)} ms`
      );
    }
    const [withAriel, without] = [loads.ariel.first.at(-1)!, loads.baseline.first.at(-1)!];
    const kb = (requests: Load['requests']) => (requests.reduce((sum, one) => sum + one.bytes, 0) / 1024).toFixed(1);
    const own = withAriel.requests.filter(one => isAriel(one.url));
    console.log(
      `  before "restored" on a first visit: with Ariel ${withAriel.requests.length} requests, ${kb(withAriel.requests)} KB; ` +
        `without ${without.requests.length} requests, ${kb(without.requests)} KB; Ariel's own: ${own.length} requests, ${kb(own)} KB ` +
        `(${own.map(one => new URL(one.url).pathname.split('/').pop()).join(', ')})`
    );
  } finally {
    await browser.close();
    await Promise.all(Object.values(servers).map(server => server.stop()));
    rmSync(scratch, { recursive: true, force: true });
  }
}
