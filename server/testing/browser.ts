import { chromium, type Browser } from 'playwright-core';
// The flags are shared with ui-tests/playwright.config.ts (a CommonJS config: JSON both can load).
import flags from './chromium.json' with { type: 'json' };

/** Debian's Chromium, installed by the test set-up (Playwright's own browser downloads cannot work here). */
export const CHROMIUM = process.env.ARIEL_TEST_CHROMIUM ?? flags.executablePath;

/** Headless Chromium with the flags a machine without outside network needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', ...flags.args] });
}
