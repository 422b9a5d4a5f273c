import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Environment for a Jupyter Server without Ariel's server extension, as `jupyter console` or
 * nbclient run kernels: a user config folder that disables it, so the kernelspecs' launcher
 * starts the kernels.
 */
export function withoutServerExtension(): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'ariel-no-extension-'));
  writeFileSync(
    join(dir, 'jupyter_server_config.json'),
    JSON.stringify({ ServerApp: { jpserver_extensions: { jupyterlab_ariel: false } } })
  );
  return { JUPYTER_CONFIG_DIR: dir };
}
