import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../testing/browser.js';
import { eventually } from '../testing/eventually.js';
import { containersOf, removeImagesOf } from '../testing/docker.js';
import { installArielKernels, JupyterServer } from '../testing/jupyter.js';

/** The newcomer's path through JupyterLab: open a notebook, pick a container kernel, run a cell. */
describe('container kernels in JupyterLab, in a real browser', () => {
  const root = mkdtempSync(join(tmpdir(), 'ariel-ui-project-'));
  const prefix = mkdtempSync(join(tmpdir(), 'ariel-ui-kernelspecs-'));
  let server: JupyterServer;
  let browser: Browser;
  let page: Page;

  before(async () => {
    writeFileSync(join(root, 'requirements.txt'), 'six\n');
    writeFileSync(join(root, '.ariel.json'), '{}\n');
    mkdirSync(join(root, 'notebooks'));
    const cell = {
      cell_type: 'code',
      execution_count: null,
      metadata: {},
      outputs: [],
      source: ['import os\n', "print('in a container:', os.path.exists('/.dockerenv'))"]
    };
    // No kernelspec in the metadata, so JupyterLab asks which kernel to start.
    writeFileSync(
      join(root, 'notebooks', 'demo.ipynb'),
      JSON.stringify({ cells: [cell], metadata: {}, nbformat: 4, nbformat_minor: 5 })
    );
    server = new JupyterServer(root, { JUPYTER_PATH: installArielKernels(prefix) });
    await server.start();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    await eventually(() => containersOf('kernel', root).length === 0, 'the kernel containers to be removed');
    removeImagesOf(root);
    rmSync(root, { recursive: true, force: true });
    rmSync(prefix, { recursive: true, force: true });
  });

  async function pickKernel(label: string): Promise<void> {
    const dialog = page.locator('.jp-Dialog');
    await dialog.locator('select').selectOption({ label });
    await dialog.getByRole('button', { name: 'Select' }).click();
  }

  it('runs a cell inside the container after picking "Python 3 (CPU container)"', async () => {
    await page.goto(`${server.url}/lab/tree/notebooks/demo.ipynb?token=${server.token}`);
    await pickKernel('Python 3 (CPU container)');
    // The first start builds the notebook image.
    await page.getByText('Python 3 (CPU container) | Idle').waitFor({ timeout: 300_000 });
    await page.locator('.jp-Cell').first().click();
    await page.keyboard.press('Shift+Enter');
    const output = page.locator('.jp-OutputArea-output').first();
    await output.getByText('in a container: True').waitFor({ timeout: 60_000 });
  });

  it('explains in the kernel error dialog that the GPU kernel needs a GPU', async () => {
    await page.getByRole('menuitem', { name: 'Kernel' }).click();
    await page.getByRole('menuitem', { name: /Change Kernel/ }).click();
    await pickKernel('Python 3 (GPU container)');
    const dialog = page.locator('.jp-Dialog', { hasText: 'Error Starting Kernel' });
    await dialog.waitFor({ timeout: 60_000 });
    const text = await dialog.locator('.jp-Dialog-body').innerText();
    assert.match(text, /No GPU is available to Docker on this machine\. Use the "Python 3 \(CPU container\)" kernel/);
    await dialog.getByRole('button', { name: 'Ok' }).click();
    await page.locator('.jp-Dialog').waitFor({ state: 'detached' });
  });
});
