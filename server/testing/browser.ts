import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, installed by the test set-up (Playwright's own browser downloads cannot work here). */
export const CHROMIUM = process.env.ARIEL_TEST_CHROMIUM ?? '/usr/bin/chromium';

/** Headless Chromium with the flags a machine without outside network needs. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run'
    ]
  });
}
