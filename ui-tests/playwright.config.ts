// Galata on Debian's Chromium (Playwright's own browser downloads do not work offline), against a
// JupyterLab with the extension installed from this repo, on a temporary Ariel project that
// ui-tests/start-jupyter.sh prepares. scripts/test.sh sets the ARIEL_UI_* variables.
import baseConfig from '@jupyterlab/galata/lib/playwright-config';
// Debian's Chromium and its flags, as the node tests launch it.
import chromium from '../server/testing/chromium.json';

const port = process.env.ARIEL_UI_PORT || '8888';
const token = process.env.ARIEL_UI_TOKEN || 'ariel-ui-tests';

export default {
  ...baseConfig,
  testDir: './tests',
  // A first container kernel start builds the notebook image.
  timeout: 600_000,
  expect: { timeout: 30_000 },
  workers: 1,
  retries: 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  outputDir: 'test-results',
  webServer: {
    command: 'bash ./start-jupyter.sh',
    url: `http://127.0.0.1:${port}/api/status?token=${token}`,
    timeout: 180_000,
    reuseExistingServer: !process.env.CI,
    stdout: 'pipe',
    stderr: 'pipe',
    // SIGTERM to the server's process group: Jupyter stops its kernels and the companion server,
    // and ui-tests/cloud-services.mjs stops the registry and the Vertex AI emulator.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 20_000 }
  },
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${port}`,
    // Jupyter's auth stays on (the 403 test needs it): every request of the browser carries the token.
    extraHTTPHeaders: { Authorization: `token ${token}` },
    headless: true,
    video: 'off',
    trace: 'off',
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.ARIEL_TEST_CHROMIUM || chromium.executablePath,
      args: chromium.args
    }
  }
};
