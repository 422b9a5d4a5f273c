import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../testing/browser.js';
import { JUPYTER_ENV, JupyterServer } from '../testing/jupyter.js';
import { line, median } from './figures.js';

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

/** Records, in the page's own clock, when JupyterLab has restored its layout (all plugins activated). */
const RESTORED_PROBE = `(() => {
  const wait = setInterval(() => {
    if (window.jupyterapp) {
      clearInterval(wait);
      window.jupyterapp.restored.then(() => { window.arielRestoredAt = performance.now(); });
    }
  }, 5);
})();`;

/** Milliseconds from navigation to JupyterLab restored. */
async function load(page: Awaited<ReturnType<Browser['newPage']>>, url: string): Promise<number> {
  await page.goto(url);
  const handle = await page.waitForFunction(() => (window as { arielRestoredAt?: number }).arielRestoredAt, null, {
    timeout: 120_000,
    polling: 50
  });
  return (await handle.jsonValue()) as number;
}

/**
 * JupyterLab's page load with Ariel against without it, in Debian's Chromium: the two servers in
 * alternate rounds, each round a first visit (a new browser context, nothing cached) and a reload.
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
  try {
    await Promise.all(Object.values(servers).map(server => server.start()));
    const times: Record<Side, { first: number[]; reload: number[] }> = {
      ariel: { first: [], reload: [] },
      baseline: { first: [], reload: [] }
    };
    for (let round = -1; round < rounds; round++) {
      for (const side of ['baseline', 'ariel'] satisfies Side[]) {
        const server = servers[side];
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.addInitScript(RESTORED_PROBE);
        const first = await load(page, `${server.url}/lab?token=${server.token}`);
        // What was measured is what it claims: Ariel's launcher section on one side only.
        // (The launcher opens once the layout is restored.)
        await page.locator('.jp-LauncherCard').first().waitFor({ timeout: 60_000 });
        const hasAriel = (await page.locator('.jp-Launcher-sectionTitle', { hasText: 'Ariel' }).count()) > 0;
        if (hasAriel !== (side === 'ariel')) {
          throw new Error(`page load: the ${side} page ${hasAriel ? 'has' : 'lacks'} Ariel's launcher section`);
        }
        const reload = await load(page, `${server.url}/lab`);
        await context.close();
        // Round -1 warms both servers up (their first page builds caches), not measured.
        if (round >= 0) {
          times[side].first.push(first);
          times[side].reload.push(reload);
        }
      }
    }
    console.log(
      `JupyterLab page load to "restored", Chromium, median of ${rounds} alternated rounds (goal: ratio <= 1.1)`
    );
    line('  first visit with Ariel', median(times.ariel.first), median(times.baseline.first), 'without');
    line('  reload with Ariel', median(times.ariel.reload), median(times.baseline.reload), 'without');
  } finally {
    await browser.close();
    await Promise.all(Object.values(servers).map(server => server.stop()));
    rmSync(scratch, { recursive: true, force: true });
  }
}
