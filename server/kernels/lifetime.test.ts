import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eventually } from '../testing/eventually.js';
import {
  currentLauncher,
  isAdoptable,
  isOrphanKernel as isOrphan,
  isRunning,
  launcherLabels,
  processStartTime,
  SPARE_PREFIX,
  type Here
} from './lifetime.js';

const LIVE = { pid: 100, started: '5000' };
const SERVER = { pid: 90, started: '4000' };

/** This host and user, where only the processes listed run (a pid with another start time is another process). */
function here(...running: { pid: number; started: string }[]): Here {
  return {
    host: 'workstation',
    uid: 1000,
    isRunning: identity => running.some(p => p.pid === identity.pid && p.started === identity.started)
  };
}

/** A kernel container (not a spare) with these labels. */
const isOrphanKernel = (labels: Record<string, string>, where?: Here) =>
  isOrphan({ labels, name: '/ariel-kernel-1' }, where);

function labels(overrides: Partial<Parameters<typeof launcherLabels>[0]> = {}): Record<string, string> {
  return launcherLabels({ ...LIVE, host: 'workstation', uid: 1000, server: SERVER, ...overrides });
}

describe('isOrphanKernel', () => {
  it('keeps a container whose launcher and server both run', () => {
    assert.equal(isOrphanKernel(labels(), here(LIVE, SERVER)), false);
  });

  it('takes a container whose launcher is gone', () => {
    assert.equal(isOrphanKernel(labels(), here(SERVER)), true);
  });

  it('takes a container whose launcher pid now belongs to another process', () => {
    assert.equal(isOrphanKernel(labels(), here({ pid: LIVE.pid, started: '9999' }, SERVER)), true);
  });

  it('takes a container whose Jupyter Server is gone, or whose server pid was reused', () => {
    assert.equal(isOrphanKernel(labels(), here(LIVE)), true);
    assert.equal(isOrphanKernel(labels(), here(LIVE, { pid: SERVER.pid, started: '1' })), true);
  });

  it('keeps a container that names no server while its launcher runs', () => {
    assert.equal(isOrphanKernel(labels({ server: undefined }), here(LIVE)), false);
  });

  it('never takes containers of another host sharing the engine, or of another user', () => {
    assert.equal(isOrphanKernel(labels({ host: 'laptop' }), here()), false);
    assert.equal(isOrphanKernel(labels({ uid: 1001 }), here()), false);
    const unowned = labels();
    delete unowned['org.ariel.launcher.uid'];
    assert.equal(isOrphanKernel(unowned, here()), false);
  });
});

describe('a companion killed while its Jupyter Server runs', () => {
  const COMPANION = { ...LIVE, host: 'workstation', uid: 1000, server: SERVER, companion: true };
  const NEXT = { ...COMPANION, pid: 200, started: '6000' };
  const kernel = { labels: launcherLabels(COMPANION), name: '/ariel-kernel-abc-12345678' };
  const spare = { labels: launcherLabels(COMPANION), name: `/${SPARE_PREFIX}0000` };

  it("leaves its kernels running, for the server's next companion to adopt", () => {
    assert.equal(isOrphan(kernel, here(SERVER, NEXT)), false);
    assert.equal(isAdoptable(kernel, NEXT, here(SERVER, NEXT)), true);
  });

  it('labels its kernels as launched by Jupyter Server, so no sweep that knows only launchers takes them', () => {
    assert.equal(kernel.labels['org.ariel.launcher.pid'], String(SERVER.pid));
    assert.equal(kernel.labels['org.ariel.launcher.started'], SERVER.started);
    assert.equal(kernel.labels['org.ariel.companion.pid'], String(LIVE.pid));
    assert.equal(kernel.labels['org.ariel.companion.started'], LIVE.started);
  });

  it('has its spares removed: they hold no state', () => {
    assert.equal(isOrphan(spare, here(SERVER, NEXT)), true);
    assert.equal(isAdoptable(spare, NEXT, here(SERVER, NEXT)), false);
  });

  it('has its kernels removed once its Jupyter Server is gone too, and adopted by no other server', () => {
    assert.equal(isOrphan(kernel, here(NEXT)), true);
    assert.equal(isAdoptable(kernel, NEXT, here(NEXT)), false);
    const other = { ...NEXT, server: { pid: 91, started: '4100' } };
    assert.equal(isAdoptable(kernel, other, here(SERVER, other.server, other)), false);
    const reused = { ...NEXT, server: { pid: SERVER.pid, started: '1' } };
    assert.equal(isAdoptable(kernel, reused, here(reused.server, reused)), false);
  });

  it('is not adopted from while it runs, nor from another host or user', () => {
    assert.equal(isAdoptable(kernel, NEXT, here(SERVER, NEXT, LIVE)), false);
    assert.equal(
      isAdoptable({ ...kernel, labels: launcherLabels({ ...COMPANION, host: 'laptop' }) }, NEXT, here(SERVER)),
      false
    );
    assert.equal(
      isAdoptable({ ...kernel, labels: launcherLabels({ ...COMPANION, uid: 1001 }) }, NEXT, here(SERVER)),
      false
    );
  });

  it("leaves a kernelspec launcher's kernels to the orphan sweep: only a companion's are adopted", () => {
    const launched = { ...kernel, labels: launcherLabels({ ...COMPANION, companion: undefined }) };
    assert.equal(isOrphan(launched, here(SERVER, NEXT)), true);
    assert.equal(isAdoptable(launched, NEXT, here(SERVER, NEXT)), false);
  });
});

describe('process identity', () => {
  it('tells a running process from a dead one and from a reused pid', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const identity = { pid: child.pid!, started: processStartTime(child.pid!) };
    assert.match(identity.started, /^\d+$/);
    assert.equal(isRunning(identity), true);
    assert.equal(isRunning({ ...identity, started: String(Number(identity.started) + 1) }), false);
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.equal(isRunning(identity), false);
  });

  it('names this process, its host and user, and the Jupyter process that started it', () => {
    const launcher = currentLauncher({ JPY_PARENT_PID: String(process.ppid) });
    assert.equal(launcher.pid, process.pid);
    assert.equal(launcher.host, hostname());
    assert.equal(launcher.uid, process.getuid!());
    assert.equal(launcher.server?.pid, process.ppid);
    assert.equal(launcher.server?.started, processStartTime(process.ppid));
    assert.equal(currentLauncher({}).server?.pid, process.ppid);
    assert.equal(isOrphanKernel(launcherLabels(launcher)), false);
  });
});

describe('watchParent', () => {
  it('notices when the process that started it is killed outright', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ariel-lifetime-'));
    const marker = join(dir, 'gone');
    // A parent (like Jupyter Server) starts a child that watches it, then is SIGKILLed.
    const watcher = `import { watchParent } from ${JSON.stringify(new URL('./lifetime.js', import.meta.url).href)};
      import { writeFileSync } from 'node:fs';
      watchParent(() => { writeFileSync(${JSON.stringify(marker)}, 'gone'); process.exit(0); }, 100);
      process.stdout.write('watching\\n');
      setTimeout(() => {}, 60000);`;
    const parent = spawn(
      process.execPath,
      [
        '-e',
        `const child = require('node:child_process').spawn(process.execPath, ['--input-type=module', '-e', ${JSON.stringify(watcher)}], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });`
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] }
    );
    try {
      await once(parent.stdout!, 'data');
      assert.equal(existsSync(marker), false, 'the watcher fired while its parent ran');
      parent.kill('SIGKILL');
      await eventually(() => existsSync(marker), 'the watcher to notice its parent is gone');
    } finally {
      parent.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
