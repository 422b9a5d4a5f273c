import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ArielError } from '../errors.js';
import { eventually } from '../testing/eventually.js';
import { loadFailure, nativeMismatch, readBuildInfo, RUNNING } from './native.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** A Node.js that is not this one: the major before it. */
const OTHER = { node: `v${Number(process.versions.node.split('.')[0]) - 2}.20.4`, modules: '1' };

describe("the check of the native module's Node.js", () => {
  it('passes where the build recorded this Node.js, or recorded nothing', () => {
    assert.equal(nativeMismatch(RUNNING), null);
    assert.equal(nativeMismatch({ node: 'v20.0.0', modules: RUNNING.modules }), null);
    assert.equal(nativeMismatch(null), null);
  });

  it('names the Node.js the module needs and what to do, where the build recorded another', () => {
    const error = nativeMismatch(OTHER);
    assert.ok(error instanceof ArielError);
    assert.equal(error.code, 'node-version-mismatch');
    const major = OTHER.node.slice(1).split('.')[0];
    assert.match(error.message, new RegExp(`built for Node\\.js ${major} \\(NODE_MODULE_VERSION 1\\)`));
    assert.match(error.message, new RegExp(`this is Node\\.js ${process.version.replace(/\./g, '\\.')}`));
    assert.match(error.hint!, new RegExp(`Install Node\\.js ${major}`));
    assert.match(error.hint!, /reinstall jupyterlab-ariel/);
  });

  it("turns Node's own refusal into the same error where the record is stale", () => {
    // Node's wording (src/node_binding.cc) when a module of another NODE_MODULE_VERSION is loaded.
    const refused = new Error(
      "The module '/x/better_sqlite3.node'\nwas compiled against a different Node.js version using\n" +
        'NODE_MODULE_VERSION 108. This version of Node.js requires\nNODE_MODULE_VERSION 115. Please try re-compiling'
    );
    // Node breaks the lines where the test does; the check reads the message as one line.
    const error = loadFailure(new Error(refused.message.replace(/\n/g, ' ')));
    assert.equal(error?.code, 'node-version-mismatch');
    assert.match(error!.message, /NODE_MODULE_VERSION 108\); this is Node\.js v\d+.*\(NODE_MODULE_VERSION 115\)/);
    assert.equal(loadFailure(new Error("Cannot find module 'better-sqlite3'")), null);
  });

  it('has a record from the build, for this Node.js', () => {
    assert.deepEqual(readBuildInfo(), RUNNING);
  });

  describe('the CLI of an installation built for another Node.js', () => {
    // The installed layout (as in the wheel): bin/, dist/server/ with the bundles and the record.
    const install = mkdtempSync(join(tmpdir(), 'ariel-native-'));
    after(() => rmSync(install, { recursive: true, force: true }));

    before(() => {
      for (const path of ['package.json', 'bin', 'schema', 'dist/server/cli', 'dist/server/http']) {
        cpSync(join(REPO, path), join(install, path), { recursive: true });
      }
      writeFileSync(join(install, 'dist', 'server', 'build-info.json'), JSON.stringify(OTHER));
      symlinkSync(join(REPO, 'node_modules'), join(install, 'node_modules'));
    });

    it('says which Node.js the job history needs, instead of a NODE_MODULE_VERSION stack trace', () => {
      const data = join(install, 'data');
      mkdirSync(data);
      const status = spawnSync(process.execPath, [join(install, 'bin', 'ariel.mjs'), 'status', '--json'], {
        env: { ...process.env, ARIEL_DATA_DIR: data, NO_COLOR: '1' },
        encoding: 'utf8'
      });
      assert.equal(status.status, 1, status.stderr);
      assert.match(status.stderr, /^ariel: Ariel's job history needs its native SQLite module/m);
      assert.match(status.stderr, new RegExp(`Install Node\\.js ${OTHER.node.slice(1).split('.')[0]} `));
      assert.doesNotMatch(status.stderr, /NODE_MODULE_VERSION \d+\. This version|at .*\.mjs:\d+/);
    });

    it("has a companion server that starts (kernels need no native module) and says so in Jupyter's log", async () => {
      const companion = spawn(
        process.execPath,
        [
          join(install, 'dist', 'server', 'http', 'main.bundle.mjs'),
          '--root',
          install,
          '--runtime-dir',
          install,
          '--socket',
          join(install, 'companion.sock')
        ],
        {
          env: { ...process.env, ARIEL_COMPANION_SECRET: 'secret' }
        }
      );
      let stdout = '';
      let stderr = '';
      companion.stdout.on('data', chunk => (stdout += chunk));
      companion.stderr.on('data', chunk => (stderr += chunk));
      try {
        await eventually(
          () => /ARIEL_COMPANION_LISTENING \//.test(stdout) && stderr.includes('\n[Ariel] Install'),
          'the warning'
        );
        assert.match(stderr, /^\[Ariel\] warning: Ariel's job history needs its native SQLite module/m);
      } finally {
        companion.stdin.end(); // Its signal to stop.
        await new Promise(resolve => companion.once('exit', resolve));
      }
    });
  });
});
