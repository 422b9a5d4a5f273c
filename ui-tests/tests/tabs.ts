import { expect, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

/**
 * The main-area tabs the sidebar opens: the Dockerfile inspector (the Builds section's
 * "Dockerfile" button) and a build's live log (opened by the inspector's Build).
 */

/** Shows Ariel's sidebar at JupyterLab's default width; resolves with it. */
export async function openSidebar(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.sidebar.openTab('jp-ariel-sidebar');
  const sidebar = page.locator('#jp-ariel-sidebar');
  await expect(sidebar).toBeVisible();
  return sidebar;
}

/** Opens the Dockerfile inspector from the sidebar; resolves with its tab's content. */
export async function openInspector(page: IJupyterLabPageFixture): Promise<Locator> {
  const sidebar = await openSidebar(page);
  await sidebar.getByRole('button', { name: 'Dockerfile', exact: true }).click();
  const inspector = page.locator('#jp-ariel-dockerfile-inspector');
  await expect(inspector).toBeVisible();
  return inspector;
}

/**
 * Builds the project's image of a mode and accelerator from the inspector; resolves with its
 * reference and the build log tab that opened for it.
 */
export async function buildFromInspector(
  page: IJupyterLabPageFixture,
  mode: string,
  accelerator: 'cpu' | 'gpu'
): Promise<{ reference: string; tab: Locator }> {
  const inspector = await openInspector(page);
  await inspector.getByLabel('Mode').selectOption(mode);
  await inspector.getByLabel('Accelerator').selectOption(accelerator);
  const image = inspector.locator('.jp-Ariel-image');
  await expect(image).toContainText(`${mode}-${accelerator}`);
  const reference = (await image.innerText()).trim();
  await inspector.getByRole('button', { name: 'Build', exact: true }).click();
  const tab = page.locator('.jp-Ariel-buildLogWidget:visible');
  await expect(tab.locator('.jp-Ariel-pageTitle')).toContainText(reference, { timeout: 60_000 });
  return { reference, tab };
}
