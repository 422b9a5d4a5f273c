import assert from 'node:assert/strict';

/** Prints the process's capabilities and privilege flag, and its container's pids limit, as JSON. */
export const PROBE = `import json, os, re
status = open('/proc/self/status').read()
field = lambda name: re.search(name + r':\\s*(\\S+)', status).group(1)
pids = next(open(p).read().strip() for p in ('/sys/fs/cgroup/pids.max', '/sys/fs/cgroup/pids/pids.max') if os.path.exists(p))
print('PROBE', json.dumps({'uid': os.getuid(), 'eff': int(field('CapEff'), 16), 'bnd': int(field('CapBnd'), 16), 'nnp': field('NoNewPrivs'), 'pids': pids}))
`;

export interface Probe {
  uid: number;
  eff: number;
  bnd: number;
  nnp: string;
  pids: string;
}

/** The probe's line in some output. */
export function probeIn(output: string): Probe {
  const line = output.split('\n').find(l => l.includes('PROBE {'));
  assert.ok(line, `no probe output in:\n${output}`);
  return JSON.parse(line.slice(line.indexOf('{'))) as Probe;
}

const NET_RAW = 1 << 13;
const SYS_ADMIN = 1 << 21;

/** What a confined container shows, whoever it runs as: no capability, no way to gain one. */
export function assertConfined(probe: Probe, pidsLimit: string): void {
  assert.equal(probe.eff & NET_RAW, 0, 'NET_RAW is effective');
  assert.equal(probe.eff & SYS_ADMIN, 0, 'SYS_ADMIN is effective');
  assert.equal(probe.eff, 0, `effective capabilities ${probe.eff.toString(16)}`);
  assert.equal(probe.bnd, 0, `bounding capabilities ${probe.bnd.toString(16)}`);
  assert.equal(probe.nnp, '1', 'no-new-privileges is off');
  assert.equal(probe.pids, pidsLimit);
}

/**
 * Two processes share a 512 MB `multiprocessing.shared_memory` block: the child fills it, the parent
 * reads it back. With Docker's default 64 MB /dev/shm the child dies of SIGBUS. Prints `SHM OK 512`.
 */
export const SHM_PROBE = `from multiprocessing import Process, shared_memory
SIZE, CHUNK = 512 * 1024 * 1024, 1024 * 1024
def fill(name):
    block = shared_memory.SharedMemory(name=name)
    data = bytes([7]) * CHUNK
    for offset in range(0, SIZE, CHUNK):
        block.buf[offset:offset + CHUNK] = data
    block.close()
if __name__ == '__main__':
    block = shared_memory.SharedMemory(create=True, size=SIZE)
    try:
        child = Process(target=fill, args=(block.name,))
        child.start()
        child.join()
        assert child.exitcode == 0, f'the writer exited with {child.exitcode}'
        assert all(block.buf[offset] == 7 for offset in range(0, SIZE, 4096)), 'the block was not written'
        print('SHM OK', SIZE // CHUNK)
    finally:
        block.close()
        block.unlink()
`;
