import { expect, test } from '@jupyterlab/galata';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The sidebar's prune when the engine refuses to remove an outdated image (a running container
 * uses it): the user is told which image was kept and why, and the list still shows it.
 */
const SCREENSHOTS = process.env.ARIEL_UI_SCREENSHOTS ?? join(__dirname, '..', 'test-results', 'screenshots');
const ROOT = process.env.ARIEL_UI_ROOT ?? '';
const BASE = process.env.ARIEL_BASE_IMAGE_CPU ?? 'python:3.11-slim';

test('prune names the outdated image a container keeps, and the list still shows it', async ({ page, tmpPath }) => {
  // A project of its own (a name no other run shares), in the test's folder, which Galata removes.
  const name = `prune-${randomBytes(3).toString('hex')}`;
  const folder = join(ROOT, tmpPath, name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, '.ariel.json'), '{}\n');
  // An image of the project whose content hash is not today's: the base image with Ariel's label,
  // and a running container that uses it.
  const stale = `ariel/${name}:shell-cpu-000000000000`;
  execFileSync('docker', ['build', '-q', '-t', stale, '--label', `org.ariel.project=${realpathSync(folder)}`, '-'], {
    input: `FROM ${BASE}\n`,
    stdio: 'pipe'
  });
  const container = execFileSync('docker', ['run', '-d', '--rm', stale, 'sleep', '600'], { encoding: 'utf8' }).trim();
  try {
    await page.filebrowser.openDirectory(`${tmpPath}/${name}`);
    await page.sidebar.openTab('jp-ariel-sidebar');
    const sidebar = page.locator('#jp-ariel-sidebar');
    await expect(sidebar.locator('.jp-Ariel-project')).toContainText(name);
    const row = sidebar.locator('.jp-Ariel-listItem', { has: page.getByTitle(`Remove ${stale}`, { exact: true }) });
    await expect(row).toContainText('outdated');

    await sidebar.getByTitle('Remove the images no longer current').click();
    const toast = page.locator('.jp-Notification-Toast-warning', { hasText: 'Could not remove 1 outdated image.' });
    await expect(toast).toBeVisible();
    await toast.getByRole('button', { name: 'Show why' }).click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toContainText(stale);
    await expect(dialog).toContainText('is used by a container');
    await expect(dialog).toContainText('Stop and remove that container first.');
    await page.screenshot({ path: join(SCREENSHOTS, 'prune-kept.png') });
    await dialog.getByRole('button', { name: 'Close' }).click();

    // The list tells the truth: the image is still there, still outdated.
    await expect(row).toContainText('outdated');
    expect(execFileSync('docker', ['images', '-q', stale], { encoding: 'utf8' }).trim()).not.toBe('');
  } finally {
    spawnSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
    spawnSync('docker', ['rmi', '-f', stale], { stdio: 'ignore' });
  }
});
