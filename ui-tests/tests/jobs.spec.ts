import { expect, test } from '@jupyterlab/galata';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The sidebar's "Jobs" section lists the job history, local runs too: an `ariel run` started in
 * a shell shows there as a local job with its live state, its log opens in a tab that follows
 * it, and its cancel removes the job's container on the real engine, as `ariel stop` does.
 */
const SCREENSHOTS = process.env.ARIEL_UI_SCREENSHOTS ?? join(__dirname, '..', 'test-results', 'screenshots');
const ROOT = process.env.ARIEL_UI_ROOT ?? '';
// The companion's job history (ui-tests/start-jupyter.sh).
const DATA_DIR = join(process.env.ARIEL_UI_KERNELS ?? '', 'ariel-data');
const ARIEL = join(__dirname, '..', '..', 'bin', 'ariel.mjs');
const PROJECT = 'jobs-demo';
const GROUP = 'ui-nap';

test('a local run shows in the Jobs section, its log follows it in a tab, and its cancel stops the container', async ({
  page,
  tmpPath
}) => {
  // The run image's build on a busy machine.
  test.setTimeout(900_000);
  const folder = join(ROOT, tmpPath, PROJECT);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, '.ariel.json'), '{}\n');
  writeFileSync(join(folder, 'requirements.txt'), 'six\n');
  writeFileSync(
    join(folder, 'nap.py'),
    'import time\nfor i in range(600):\n    print("napping", i, flush=True)\n    time.sleep(1)\n'
  );
  const run = spawn(process.execPath, [ARIEL, 'run', 'nap.py', '--name', GROUP], {
    cwd: folder,
    env: { ...process.env, ARIEL_DATA_DIR: DATA_DIR },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  run.stdout.on('data', chunk => (output += chunk));
  run.stderr.on('data', chunk => (output += chunk));
  const exited = new Promise<number | null>(resolve => run.on('exit', code => resolve(code)));
  const containers = () =>
    execFileSync(
      'docker',
      ['ps', '-aq', '--filter', `label=org.ariel.group=${GROUP}`, '--filter', `label=org.ariel.project=${folder}`],
      { encoding: 'utf8' }
    ).trim();
  try {
    await expect.poll(() => output, { timeout: 600_000 }).toContain('napping');

    await page.sidebar.openTab('jp-ariel-sidebar');
    const sidebar = page.locator('#jp-ariel-sidebar');
    const section = (title: string) => sidebar.locator('.jp-AccordionPanel-title', { hasText: title });
    for (const title of ['Project', 'Builds', 'Images', 'Running']) {
      if ((await section(title).getAttribute('aria-expanded')) === 'true') {
        await section(title).click();
      }
    }
    await expect(section('Jobs')).toHaveText(/^Jobs/);
    if ((await section('Jobs').getAttribute('aria-expanded')) !== 'true') {
      await section('Jobs').click();
    }
    const group = sidebar.locator(`.jp-Ariel-group[data-group="${GROUP}"]`);
    await expect(group.locator('.jp-Ariel-platform')).toHaveText('local', { timeout: 60_000 });
    const job = group.locator(`.jp-Ariel-cloudJob[data-job="${GROUP}-1"]`);
    await expect(job.locator('.jp-Ariel-job-running')).toBeVisible();
    // A local job has no Cloud console page.
    await expect(job.locator('a')).toHaveCount(0);

    // Its log, kept beside the job history, opens in a tab and grows while the job runs.
    await job.getByRole('button', { name: 'Log', exact: true }).click();
    const log = page.locator('.jp-Ariel-jobLogWidget .jp-Ariel-jobLog');
    await expect(log).toContainText('napping 0');
    const lines = async () => (await log.innerText()).split('\n').filter(Boolean).length;
    const before = await lines();
    await expect.poll(lines, { timeout: 60_000 }).toBeGreaterThan(before + 1);
    await expect(page.locator('.jp-Ariel-jobLogWidget .jp-Ariel-pageTitle')).toContainText('following');
    await page.screenshot({ path: join(SCREENSHOTS, 'job-log.png') });

    await job.locator(`button[title="Cancel ${GROUP}-1"]`).click();
    await expect(job.locator('.jp-Ariel-job-cancelled')).toBeVisible({ timeout: 60_000 });
    // The log is complete once the job ended.
    await expect(page.locator('.jp-Ariel-jobLogWidget .jp-Ariel-pageTitle')).toContainText('complete', {
      timeout: 60_000
    });
    expect(containers()).toBe('');
    expect(await exited).toBe(130);
  } finally {
    run.kill('SIGKILL');
    const left = containers();
    if (left) {
      execFileSync('docker', ['rm', '-f', ...left.split('\n')]);
    }
    const images = execFileSync('docker', ['images', '-q', '--filter', `label=org.ariel.project=${folder}`], {
      encoding: 'utf8'
    }).trim();
    if (images) {
      execFileSync('docker', ['rmi', '-f', ...new Set(images.split('\n'))]);
    }
  }
});
