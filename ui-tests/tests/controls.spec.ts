import { expect, test, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import { execFileSync } from 'node:child_process';
import { appendFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { buildFromInspector, openInspector, openSidebar } from './tabs';

const SCREENSHOTS = process.env.ARIEL_UI_SCREENSHOTS ?? join(__dirname, '..', 'test-results', 'screenshots');

/**
 * The controls that act on the engine: the launcher's shell, the sidebar's stop, remove and prune
 * buttons. Each test checks what the Docker engine has afterwards, selecting only what carries
 * this project's label (other tests share the engine).
 */
test.describe.configure({ mode: 'serial' });

/** The project start-jupyter.sh prepared, as Ariel labels it (its real path). */
function projectRoot(): string {
  return realpathSync(process.env.ARIEL_UI_ROOT ?? '');
}

function docker(...args: string[]): string[] {
  return execFileSync('docker', args, { encoding: 'utf8' }).split('\n').filter(Boolean);
}

/** Ids of this project's containers of a role (running or not). */
function containersOf(role: string): string[] {
  return docker(
    'ps',
    '--all',
    '--quiet',
    '--no-trunc',
    '--filter',
    `label=org.ariel.role=${role}`,
    '--filter',
    `label=org.ariel.project=${projectRoot()}`
  );
}

/** `repository:tag` of this project's images. */
function imagesOfProject(): string[] {
  return docker(
    'images',
    '--format',
    '{{.Repository}}:{{.Tag}}',
    '--filter',
    `label=org.ariel.project=${projectRoot()}`
  );
}

/** Builds the project's shell CPU image from the Dockerfile inspector; resolves with its reference. */
async function buildShellImage(page: IJupyterLabPageFixture): Promise<string> {
  const { reference, tab } = await buildFromInspector(page, 'shell', 'cpu');
  await expect(tab.locator('.jp-Ariel-pageTitle .jp-Ariel-state')).toHaveText('succeeded', { timeout: 540_000 });
  return reference;
}

test('the launcher\'s "Shell (container)" opens a terminal whose shell runs in the project\'s container, and the sidebar stops it', async ({
  page
}) => {
  await page.locator('.jp-LauncherCard', { hasText: 'Shell (container)' }).click();
  await expect(page.locator('.jp-Terminal')).toBeVisible();
  // The terminal's output as its session receives it (xterm draws on a canvas).
  await page.evaluate(() => {
    type Session = {
      messageReceived: {
        connect: (slot: (sender: unknown, message: { type: string; content: string[] }) => void) => void;
      };
    };
    const app = (window as unknown as { jupyterapp: { shell: { currentWidget: { content: { session: Session } } } } })
      .jupyterapp;
    const output = window as unknown as { arielTerminal: string };
    output.arielTerminal = '';
    app.shell.currentWidget.content.session.messageReceived.connect((_, message) => {
      if (message.type === 'stdout') {
        output.arielTerminal += message.content.join('');
      }
    });
  });

  // `ariel shell` builds the shell image first if needed.
  await expect.poll(() => containersOf('shell').length, { timeout: 540_000 }).toBe(1);
  const [container] = containersOf('shell');
  // The image's virtual environment exists only in the container, not on this machine.
  await page.locator('.jp-Terminal').click();
  await page.keyboard.type('echo "in:$(command -v python)"');
  await page.keyboard.press('Enter');
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { arielTerminal: string }).arielTerminal))
    .toContain('in:/opt/venv/bin/python');

  const sidebar = await openSidebar(page);
  const row = sidebar.locator(`.jp-Ariel-listItem[data-container-id="${container}"]`);
  await expect(row).toContainText('shell');
  await row.getByTitle('Stop the container').click();
  await expect.poll(() => containersOf('shell'), { timeout: 60_000 }).toEqual([]);
  await expect(row).toHaveCount(0);
});

test('the images list shows a build once it succeeds; prune removes the outdated image, remove the current one', async ({
  page
}) => {
  const first = await buildShellImage(page);
  const sidebar = await openSidebar(page);
  // The images list's rows (the builds list names images too): those with a remove button.
  const listed = (reference: string) =>
    sidebar.locator('.jp-Ariel-listItem', { has: page.getByTitle(`Remove ${reference}`, { exact: true }) });
  // No reload: the list follows the build's end.
  await expect(listed(first)).toBeVisible();
  expect(imagesOfProject()).toContain(first);

  // A changed requirements file: the first image is outdated, a second one current.
  appendFileSync(join(projectRoot(), 'requirements.txt'), `# ${Date.now()}\n`);
  // Away and back, so the inspector asks for the shell image's name again.
  await (await openInspector(page)).getByLabel('Mode').selectOption('notebook');
  const second = await buildShellImage(page);
  expect(second).not.toBe(first);
  await openSidebar(page);
  await expect(listed(second)).toBeVisible();
  await expect(listed(first)).toContainText('outdated');

  // "Dockerfile as built" of the outdated image: beside the Dockerfile the project generates now.
  // The Images list's button for it is the panels' part; its command is what the button runs.
  await page.evaluate(async ref => {
    const app = (window as unknown as { jupyterapp: { commands: { execute: (id: string, args: object) => unknown } } })
      .jupyterapp;
    await app.commands.execute('ariel:open-image-dockerfile', { ref });
  }, first);
  const asBuilt = page.locator('.jp-Ariel-asBuilt:visible');
  await expect(asBuilt.locator('.jp-Ariel-inspectorHeader')).toContainText('outdated');
  await expect(asBuilt.locator('.jp-Ariel-mergeTitles')).toContainText(`As built: ${first}`);
  await expect(asBuilt.locator('.jp-Ariel-mergeTitles')).toContainText(`Current: ${second}`);
  await expect(asBuilt.locator('.cm-merge-a .cm-content')).toContainText('FROM');
  await page.screenshot({ path: join(SCREENSHOTS, 'dockerfile-as-built.png') });

  await sidebar.getByTitle('Remove the images no longer current').click();
  await expect(page.locator('.jp-Notification-Toast-success', { hasText: 'Removed' })).toBeVisible();
  expect(imagesOfProject()).not.toContain(first);
  expect(imagesOfProject()).toContain(second);
  await expect(listed(first)).toHaveCount(0);

  await listed(second).getByTitle(`Remove ${second}`).click();
  await page.locator('.jp-Dialog').getByRole('button', { name: 'Remove' }).click();
  await expect(listed(second)).toHaveCount(0);
  expect(imagesOfProject()).not.toContain(second);
});
