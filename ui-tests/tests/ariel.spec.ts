import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import { request } from '@playwright/test';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFromInspector, openInspector, openSidebar } from './tabs';

/**
 * Ariel in a real JupyterLab, with the real companion server and Docker engine, on the project
 * that start-jupyter.sh prepared (requirements.txt: six). In order: the first test builds the
 * notebook image, later ones reuse it; the last one changes the requirements.
 */
test.describe.configure({ mode: 'serial' });

const SCREENSHOTS = process.env.ARIEL_UI_SCREENSHOTS ?? join(__dirname, '..', 'test-results', 'screenshots');
const ROOT = process.env.ARIEL_UI_ROOT ?? '';

/** Clicks the launcher's Ariel notebook item; resolves once the notebook is open, fails with Ariel's error if any. */
async function newNotebookFromLauncher(page: IJupyterLabPageFixture, accelerator: 'CPU' | 'GPU'): Promise<void> {
  await page.locator('.jp-LauncherCard', { hasText: `Notebook (${accelerator} container)` }).click();
  // The first time, the notebook image is built (the notification shows the progress).
  const failure = page.locator('.jp-Notification-Toast-error');
  await expect(page.locator('.jp-NotebookPanel').or(failure).first()).toBeVisible({ timeout: 540_000 });
  expect(await failure.count(), (await failure.allInnerTexts()).join('\n')).toBe(0);
}

test('the launcher\'s "Notebook (CPU container)" opens a notebook whose cells run in the container', async ({
  page
}) => {
  const launcher = page.locator('.jp-Launcher');
  await expect(launcher.locator('.jp-Launcher-sectionTitle', { hasText: 'Ariel' })).toBeVisible();
  // The container kernelspecs carry their own logos rather than a bare letter.
  await expect(
    launcher.locator('.jp-LauncherCard', { hasText: 'Python 3 (CPU container)' }).first().locator('img')
  ).toHaveAttribute('src', /ariel-cpu\/logo-svg\.svg/);
  await page.screenshot({ path: join(SCREENSHOTS, 'launcher.png') });

  await newNotebookFromLauncher(page, 'CPU');
  await expect(page.getByText('Python 3 (CPU container) | Idle')).toBeVisible({ timeout: 120_000 });
  // The image's virtual environment: this machine has none there (and may itself be a container).
  await page.notebook.setCell(0, 'code', "import sys\nprint('python in:', sys.prefix)");
  await page.notebook.runCell(0);
  expect((await page.notebook.getCellTextOutput(0))?.join('')).toContain('python in: /opt/venv');
  await page.notebook.save();
});

test("the Dockerfile inspector tab shows the GPU notebook image's Dockerfile, and the CPU one beside it", async ({
  page
}) => {
  const sidebar = await openSidebar(page);
  await expect(sidebar.locator('.jp-Ariel-project')).toContainText('.ariel.json');
  await expect(sidebar.locator('.jp-Ariel-project')).toContainText('requirements.txt');

  const inspector = await openInspector(page);
  await inspector.getByLabel('Mode').selectOption('notebook');
  await inspector.getByLabel('Accelerator').selectOption('gpu');
  const editor = inspector.locator('.jp-Ariel-dockerfile .cm-content');
  await expect(editor).toContainText('mode notebook, GPU');
  await expect(editor).toContainText('FROM nvidia/cuda');
  // Highlighted as JupyterLab highlights a Dockerfile: the instruction is a keyword.
  await expect(editor.locator('.cm-line', { hasText: 'FROM nvidia/cuda' }).locator('span').first()).toHaveText('FROM');
  await expect(inspector.locator('.jp-Ariel-image')).toContainText('notebook-gpu');
  await page.screenshot({ path: join(SCREENSHOTS, 'dockerfile-inspector.png') });

  // Side by side in the merge view: the CPU image's Dockerfile left, the GPU one's right, changes marked.
  await inspector.getByLabel('Compare CPU/GPU').check();
  const merge = inspector.getByLabel('Dockerfiles side by side, CPU and GPU');
  await expect(merge.locator('.jp-Ariel-mergeTitles')).toContainText('notebook-cpu');
  await expect(merge.locator('.jp-Ariel-mergeTitles')).toContainText('notebook-gpu');
  await expect(merge.locator('.cm-merge-b .cm-changedLine', { hasText: 'FROM nvidia/cuda' })).toBeVisible();
  await expect(merge.locator('.cm-merge-a .cm-changedLine').first()).toBeVisible();
  await expect(merge.locator('.cm-merge-a .cm-line', { hasText: 'mode notebook' }).first()).toBeVisible();
  await page.screenshot({ path: join(SCREENSHOTS, 'dockerfile-compare.png') });
  // Picking an accelerator shows that one alone again.
  await inspector.getByLabel('Accelerator').selectOption('cpu');
  await expect(merge).toBeHidden();
  await expect(editor).toContainText('mode notebook, CPU');
});

test('the CPU/GPU switch moves the notebook to the GPU kernel, which explains it needs a GPU and offers the CPU', async ({
  page
}) => {
  await newNotebookFromLauncher(page, 'CPU');
  await expect(page.getByText('Python 3 (CPU container) | Idle')).toBeVisible({ timeout: 540_000 });
  const toggle = page.locator('.jp-NotebookPanel-toolbar .jp-Ariel-switch');
  await expect(toggle.getByRole('button', { name: 'CPU' })).toHaveAttribute('aria-pressed', 'true');

  await toggle.getByRole('button', { name: 'GPU' }).click();
  // JupyterLab's own dialog shows the kernel's explanation ...
  const dialog = page.locator('.jp-Dialog', { hasText: 'Error Starting Kernel' });
  await expect(dialog).toBeVisible({ timeout: 120_000 });
  await expect(dialog.locator('.jp-Dialog-body')).toContainText('No GPU is available to Docker on this machine');
  await page.screenshot({ path: join(SCREENSHOTS, 'gpu-kernel-error.png') });
  await dialog
    .getByRole('button', { name: /ok|cancel|close|no kernel/i })
    .first()
    .click();
  // ... and Ariel's notification offers the way out.
  const wayOut = page.locator('.jp-Notification-Toast-error').getByRole('button', { name: 'Use the CPU container' });
  await expect(wayOut).toBeVisible();
  await wayOut.click();
  await expect(page.getByText('Python 3 (CPU container) | Idle')).toBeVisible({ timeout: 120_000 });
  await expect(toggle.getByRole('button', { name: 'CPU' })).toHaveAttribute('aria-pressed', 'true');
});

test("the launcher's GPU item says this machine has no GPU and offers the CPU container", async ({ page }) => {
  await page.locator('.jp-LauncherCard', { hasText: 'Notebook (GPU container)' }).click();
  // The progress notification turns into the error (its toast keeps the class it was created with).
  const toast = page.getByRole('alert').filter({ hasText: 'No GPU is available to Docker on this machine' });
  await expect(toast).toBeVisible({ timeout: 120_000 });
  await toast.getByRole('button', { name: 'Use the CPU container' }).click();
  await expect(page.getByText('Python 3 (CPU container) | Idle')).toBeVisible({ timeout: 540_000 });
});

test('the sidebar and the inspector in the dark theme', async ({ page }) => {
  await page.theme.setDarkTheme();
  const inspector = await openInspector(page);
  await expect(inspector.locator('.jp-Ariel-dockerfile .cm-content')).toContainText('FROM');
  const sidebar = page.locator('#jp-ariel-sidebar');
  // Theme variables, not fixed colors: the panel and the tab are dark and their text light.
  const brightness = (rgb: string) =>
    rgb
      .match(/\d+/g)!
      .slice(0, 3)
      .reduce((sum, value) => sum + Number(value), 0) / 3;
  for (const part of [sidebar, inspector]) {
    const colors = await part.evaluate(element => {
      const style = getComputedStyle(element);
      return { background: style.backgroundColor, color: style.color };
    });
    expect(brightness(colors.background)).toBeLessThan(80);
    expect(brightness(colors.color)).toBeGreaterThan(150);
  }
  await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', 'false');
  await page.screenshot({ path: join(SCREENSHOTS, 'dark.png') });
});

test("a request to {base_url}ariel/ without Jupyter's token is refused with 403", async ({ baseURL }) => {
  const anonymous = await request.newContext({ baseURL, extraHTTPHeaders: {} });
  for (const path of ['/ariel/handshake', '/ariel/project?path=', '/ariel/builds']) {
    expect((await anonymous.get(path)).status(), path).toBe(403);
  }
  expect((await anonymous.post('/ariel/builds', { data: { path: '', mode: 'notebook' } })).status()).toBe(403);
  await anonymous.dispose();
});

test("a build's log streams into its tab while it runs", async ({ page }) => {
  // A new dependency (and a line no earlier run wrote) changes the content hash and the build
  // context: the next build installs for real instead of finding its image or its cache.
  appendFileSync(join(ROOT, 'requirements.txt'), `toolz\n# ${Date.now()}\n`);
  // Watch the log tab from the page itself, so nothing between two polls is missed.
  await page.evaluate(() => {
    const seen: { lines: number; running: boolean }[] = [];
    (window as unknown as { arielSeen: typeof seen }).arielSeen = seen;
    new MutationObserver(() => {
      const log = document.querySelector('.jp-Ariel-buildLogWidget .jp-Ariel-log');
      const state = document.querySelector('.jp-Ariel-buildLogWidget .jp-Ariel-pageTitle .jp-Ariel-state');
      if (log) {
        seen.push({ lines: (log.textContent ?? '').split('\n').length, running: state?.textContent === 'running' });
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  const { tab } = await buildFromInspector(page, 'shell', 'cpu');
  const log = tab.getByLabel('Build log');
  await expect(log).toContainText('Step 1/', { timeout: 60_000 });
  await page.screenshot({ path: join(SCREENSHOTS, 'build-log.png') });
  await expect(tab.locator('.jp-Ariel-pageTitle .jp-Ariel-state')).toHaveText('succeeded', { timeout: 540_000 });
  await expect(log).toContainText('toolz');
  const seen = await page.evaluate(
    () => (window as unknown as { arielSeen: { lines: number; running: boolean }[] }).arielSeen
  );
  const whileRunning = seen.filter(s => s.running).map(s => s.lines);
  // The log grew in several steps while the build was still running.
  expect(new Set(whileRunning).size).toBeGreaterThan(2);
  // The Builds list opens the same build's log.
  const sidebar = await openSidebar(page);
  await sidebar.locator('.jp-Ariel-build').first().getByRole('button', { name: 'Log' }).click();
  await expect(page.locator('.jp-Ariel-buildLogWidget:visible .jp-Ariel-log')).toContainText('toolz');
});
