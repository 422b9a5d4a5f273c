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
