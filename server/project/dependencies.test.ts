import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ArielError } from '../errors.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import type { Accelerator } from './config.js';
import { detectDependencies } from './dependencies.js';

after(removeTempProjects);

function detect(files: Record<string, string>, accelerator: Accelerator = 'cpu', extras: string[] = []) {
  return detectDependencies(tempProject(files), { accelerator, extras });
}

function assertArielError(fn: () => unknown, ...fragments: string[]): ArielError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ArielError, `expected an ArielError, got ${String(caught)}`);
  for (const fragment of fragments) {
    assert.ok(
      `${caught.message}\n${caught.hint}`.includes(fragment),
      `${caught.message} / ${caught.hint} lacks ${JSON.stringify(fragment)}`
    );
  }
  return caught;
}

const PYPROJECT = `
[project]
name = "My_Proj"
version = "1.0"
dependencies = ["numpy", "scipy"]

[project.optional-dependencies]
gpu = ["cupy-cuda12x"]
viz = ["matplotlib", "numpy"]
dev = ["pytest", "my-proj[viz]"]
all = ["my.proj[gpu, dev]"]
`;

describe('detectDependencies', () => {
  it('finds nothing in a folder without dependency files', () => {
    assert.deepEqual(detect({ 'train.py': '' }), {});
  });

  it('detects requirements.txt', () => {
    assert.deepEqual(detect({ 'requirements.txt': 'numpy\n' }), { requirements: 'requirements.txt' });
    assert.deepEqual(detect({ 'requirements-dev.txt': 'pytest\n' }), {});
  });

  it('rejects environment.yml alone as not supported yet', () => {
    assertArielError(
      () => detect({ 'environment.yml': 'name: x\n' }),
      'environment.yml',
      'not supported yet',
      'requirements.txt'
    );
    assertArielError(() => detect({ 'environment.yaml': 'name: x\n' }), 'not supported yet');
  });

  it('ignores environment.yml next to files it can install', () => {
    assert.deepEqual(detect({ 'environment.yml': 'name: x\n', 'requirements.txt': 'numpy\n' }), {
      requirements: 'requirements.txt'
    });
  });

  it('reads setup.py and setup.cfg as a source package, with the accelerator extra when declared', () => {
    const setupPy = 'setup(name="x", extras_require={\n  "gpu": ["jax[cuda12]"],\n  \'cpu\': ["jax"],\n})\n';
    assert.deepEqual(detect({ 'setup.py': setupPy, 'setup.cfg': '' }, 'gpu'), {
      package: { kind: 'source', files: ['setup.py', 'setup.cfg'], extras: ['gpu'] }
    });
    assert.deepEqual(detect({ 'setup.py': setupPy }, 'cpu', ['dev']), {
      package: { kind: 'source', files: ['setup.py'], extras: ['dev', 'cpu'] }
    });
    // "gpu" outside extras_require is not an extra.
    assert.deepEqual(detect({ 'setup.py': 'setup(name="gpu", install_requires=["x"])\n' }, 'gpu'), {
      package: { kind: 'source', files: ['setup.py'], extras: [] }
    });
  });

  it('takes requirements.txt and a package together', () => {
    const deps = detect({ 'requirements.txt': 'numpy\n', 'setup.py': 'setup()\n' });
    assert.equal(deps.requirements, 'requirements.txt');
    assert.equal(deps.package?.kind, 'source');
  });

  it('reads static pyproject metadata, adding the accelerator extra when declared', () => {
    assert.deepEqual(detect({ 'pyproject.toml': PYPROJECT }, 'cpu'), {
      package: { kind: 'pyproject', name: 'My_Proj', requirements: ['numpy', 'scipy'], extras: [] }
    });
    assert.deepEqual(detect({ 'pyproject.toml': PYPROJECT }, 'gpu'), {
      package: { kind: 'pyproject', name: 'My_Proj', requirements: ['numpy', 'scipy', 'cupy-cuda12x'], extras: ['gpu'] }
    });
  });

  it('expands extras that name the project itself, whatever its spelling, without repeating requirements', () => {
    const deps = detect({ 'pyproject.toml': PYPROJECT }, 'cpu', ['all']);
    assert.deepEqual(deps.package, {
      kind: 'pyproject',
      name: 'My_Proj',
      requirements: ['numpy', 'scipy', 'cupy-cuda12x', 'pytest', 'matplotlib'],
      extras: ['all']
    });
  });

  it('rejects an unknown extra, listing the declared ones', () => {
    const error = assertArielError(
      () => detect({ 'pyproject.toml': PYPROJECT }, 'cpu', ['tpu']),
      'pyproject.toml',
      '"tpu"'
    );
    assert.equal(error.hint, 'Declared extras: gpu, viz, dev, all.');
    const none = assertArielError(
      () => detect({ 'pyproject.toml': '[project]\nname = "p"\n' }, 'cpu', ['dev']),
      '"dev"'
    );
    assert.equal(none.hint, 'Declared extras: none.');
  });

  it('falls back to copying the metadata files when dependencies are dynamic', () => {
    const dynamic = '[project]\nname = "p"\ndynamic = ["dependencies"]\n';
    assert.deepEqual(detect({ 'pyproject.toml': dynamic }, 'cpu', ['x']), {
      package: { kind: 'source', files: ['pyproject.toml'], extras: ['x'] }
    });
    assert.deepEqual(detect({ 'pyproject.toml': dynamic, 'setup.py': '', 'setup.cfg': '' }), {
      package: { kind: 'source', files: ['pyproject.toml', 'setup.py', 'setup.cfg'], extras: [] }
    });
    const optional = '[project]\nname = "p"\ndynamic = ["optional-dependencies"]\n';
    assert.equal(detect({ 'pyproject.toml': optional }).package?.kind, 'source');
    // A pyproject.toml with only tool settings (e.g. for setup.py projects) has no [project] table.
    assert.deepEqual(detect({ 'pyproject.toml': '[tool.black]\nline-length = 100\n', 'setup.py': '' }), {
      package: { kind: 'source', files: ['pyproject.toml', 'setup.py'], extras: [] }
    });
  });

  it('reports invalid TOML with the file', () => {
    assertArielError(() => detect({ 'pyproject.toml': '[project\nname = 1\n' }), 'pyproject.toml', 'invalid TOML');
  });
});

describe('detectDependencies: includes, local paths and wrong types', () => {
  it('follows -r and -c includes recursively, inside the project', () => {
    const deps = detect({
      'requirements.txt':
        '# all\n-r reqs/base.txt \\\n  # continued\n--constraint=constraints.txt\n-r https://x.example/r.txt\n',
      'reqs/base.txt': '-r common.txt\nnumpy\n',
      'reqs/common.txt': '-r ../reqs/base.txt\n',
      'constraints.txt': 'numpy<3\n'
    });
    assert.deepEqual(deps, {
      requirements: 'requirements.txt',
      requirementIncludes: ['reqs/base.txt', 'reqs/common.txt', 'constraints.txt']
    });
  });

  it('refuses includes outside the project or missing, and local folders, naming file and line', () => {
    assertArielError(() => detect({ 'requirements.txt': 'numpy\n-r ../up.txt\n' }), 'requirements.txt:2', 'outside');
    assertArielError(() => detect({ 'requirements.txt': '-c missing.txt\n' }), 'requirements.txt:1', 'does not exist');
    assertArielError(() => detect({ 'requirements.txt': '-e .\n' }), 'requirements.txt:1', 'no setup.py');
    assertArielError(
      () => detect({ 'requirements.txt': '--editable=.\n', 'setup.py': 'setup()\n' }),
      'requirements.txt:1',
      'Remove the line'
    );
  });

  it('refuses pyproject keys of the wrong type, naming the key', () => {
    const project = (body: string) => ({ 'pyproject.toml': `[project]\nname = "p"\n${body}\n` });
    assertArielError(() => detect(project('dependencies = "numpy"')), 'pyproject.toml', '"dependencies"', 'list');
    assertArielError(() => detect(project('dynamic = "dependencies"')), '"dynamic"');
    assertArielError(() => detect(project('optional-dependencies = ["a"]')), '"optional-dependencies"');
    assertArielError(
      () => detect(project('[project.optional-dependencies]\ngpu = "jax"')),
      'optional-dependencies.gpu'
    );
  });

  it('refuses extras with no package to take them from, or none declared', () => {
    assertArielError(() => detect({ 'requirements.txt': '' }, 'cpu', ['gpu']), 'no package');
    assertArielError(() => detect({ 'setup.py': 'setup(name="p")\n' }, 'cpu', ['gpu']), 'declares no extras');
    assertArielError(() => detect({ 'setup.py': 'setup()\n' }, 'cpu', ['a b']), 'extra name');
    // "constructor" is on every object's prototype, not a declared extra.
    assertArielError(
      () => detect({ 'pyproject.toml': '[project]\nname = "p"\n' }, 'cpu', ['constructor']),
      'not declared'
    );
  });
});
