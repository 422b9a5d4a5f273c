import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { ArielError } from '../errors.js';
import { removeTempProjects, tempProject } from '../testing/tempProject.js';
import { loadConfig, type ConfigFileName } from './config.js';

after(removeTempProjects);

// Ariel skips this check at run time, for start-up speed.
it('ships a schema that is valid JSON Schema', () => {
  const schema = JSON.parse(
    readFileSync(new URL('../../../schema/project-config.schema.json', import.meta.url), 'utf8')
  ) as object;
  const ajv = new Ajv();
  assert.equal(ajv.validateSchema(schema), true, JSON.stringify(ajv.errors));
});

function load(kind: ConfigFileName, text: string) {
  const file = join(tempProject({ [kind]: text }), kind);
  return { file, config: () => loadConfig(file, kind) };
}

/** The ArielError thrown by loading `text` as `kind`, with the file's path. */
function errorOf(kind: ConfigFileName, text: string): { error: ArielError; file: string } {
  const { file, config } = load(kind, text);
  try {
    config();
  } catch (error) {
    assert.ok(error instanceof ArielError, `expected an ArielError, got ${(error as Error)?.stack}`);
    return { error, file };
  }
  assert.fail(`${kind} ${text} was accepted`);
}

describe('loadConfig: .calibanconfig.json', () => {
  it('reads a Caliban config with comments, trailing commas, "{}" images, per-accelerator apt packages and unknown keys', () => {
    const { config } = load(
      '.calibanconfig.json',
      `// Caliban's own config
{
  /* the image, per accelerator */
  "base_image": "gcr.io/blueshift-playground/blueshift:{}",
  "apt_packages": {
    "cpu": ["git", "wget"], // both need these
    "gpu": ["git", "wget", "libcudnn8"],
  },
  "default_mode": "gpu",
  "build_time_credentials": true,
  "some_future_caliban_key": { "anything": [1, 2, 3] },
}
`
    );
    const result = config();
    assert.deepEqual(result.baseImage, {
      cpu: 'gcr.io/blueshift-playground/blueshift:cpu',
      gpu: 'gcr.io/blueshift-playground/blueshift:gpu'
    });
    assert.deepEqual(result.aptPackages, { cpu: ['git', 'wget'], gpu: ['git', 'wget', 'libcudnn8'] });
    assert.deepEqual(result.extras, []);
  });

  it('still checks the keys it knows', () => {
    const { error, file } = errorOf('.calibanconfig.json', '{ "unknown": 1, "apt_packages": "git" }');
    assert.ok(error.message.startsWith(`${file}:1:17:`), error.message);
    assert.ok(error.message.includes('"apt_packages"'), error.message);
  });

  it('takes an apt_packages list for both accelerators, and a partial per-accelerator object', () => {
    assert.deepEqual(load('.calibanconfig.json', '{ "apt_packages": ["git"] }').config().aptPackages, {
      cpu: ['git'],
      gpu: ['git']
    });
    assert.deepEqual(load('.calibanconfig.json', '{ "apt_packages": { "gpu": ["nvtop"] } }').config().aptPackages, {
      cpu: [],
      gpu: ['nvtop']
    });
  });

  it('reads an empty object as the defaults', () => {
    const config = load('.calibanconfig.json', '{}').config();
    assert.deepEqual(config, {
      baseImage: {},
      aptPackages: { cpu: [], gpu: [] },
      extras: [],
      env: [],
      build: { network: undefined, pipIndexUrl: undefined, pipExtraIndexUrls: [] },
      kernel: { network: undefined },
      run: {}
    });
  });
});

describe('loadConfig: .ariel.json', () => {
  it('reads every Ariel key', () => {
    const config = load(
      '.ariel.json',
      JSON.stringify({
        $schema: '../schema/project-config.schema.json',
        base_image: { cpu: 'python:3.12-slim' },
        apt_packages: ['git'],
        extras: ['dev'],
        env: ['WANDB_API_KEY'],
        build: {
          network: 'host',
          pip_index_url: 'http://127.0.0.1:3141/simple',
          pip_extra_index_url: 'http://a/simple http://b/simple'
        },
        kernel: { network: 'ports' }
      })
    ).config();
    assert.deepEqual(config.baseImage, { cpu: 'python:3.12-slim' });
    assert.deepEqual(config.extras, ['dev']);
    assert.deepEqual(config.env, ['WANDB_API_KEY']);
    assert.deepEqual(config.build, {
      network: 'host',
      pipIndexUrl: 'http://127.0.0.1:3141/simple',
      pipExtraIndexUrls: ['http://a/simple', 'http://b/simple']
    });
    assert.deepEqual(config.kernel, { network: 'ports' });
  });

  it('rejects an unknown key, naming the file, line, column and key, and listing the allowed keys', () => {
    const { error, file } = errorOf('.ariel.json', '{\n  "extras": [],\n    "apt_pakages": ["git"]\n}\n');
    assert.equal(error.message, `${file}:3:5: unknown key "apt_pakages"`);
    assert.ok(error.hint, 'an unknown key comes with a hint');
    for (const key of ['base_image', 'apt_packages', 'extras', 'env', 'build', 'kernel']) {
      assert.ok(error.hint.includes(key), error.hint);
    }
    assert.ok(!error.hint.includes('$schema'), error.hint);
  });

  it('rejects an unknown nested key, listing the keys allowed there', () => {
    const { error, file } = errorOf('.ariel.json', '{ "build": { "netwrok": "host" } }');
    assert.equal(error.message, `${file}:1:14: unknown key "build.netwrok"`);
    assert.equal(error.hint, 'Allowed keys here: network, pip_index_url, pip_extra_index_url.');
  });

  it('rejects a value of the wrong type, naming the key and what was expected', () => {
    const { error, file } = errorOf('.ariel.json', '{\n  "apt_packages": "git"\n}');
    assert.ok(error.message.startsWith(`${file}:2:3: key "apt_packages"`), error.message);
    assert.ok(error.hint?.startsWith('Expected '), error.hint);
    assert.ok(error.hint!.includes('a list of strings'), error.hint);
    assert.ok(error.hint!.includes('an object with keys cpu, gpu'), error.hint);

    const extras = errorOf('.ariel.json', '{ "extras": "dev" }').error;
    assert.ok(extras.message.includes('key "extras" must be array'), extras.message);
    assert.ok(extras.hint?.startsWith('Expected a list of strings'), extras.hint);
  });

  it('points at the offending list item and explains the allowed values', () => {
    const items = errorOf('.ariel.json', '{ "apt_packages": ["git", "rm -rf /"] }');
    assert.ok(items.error.message.startsWith(`${items.file}:1:27: key "apt_packages[1]"`), items.error.message);
    const network = errorOf('.ariel.json', '{ "kernel": { "network": "bridge" } }');
    assert.ok(network.error.message.includes('key "kernel.network"'), network.error.message);
    assert.equal(network.error.hint, 'Expected one of "host", "ports".');
  });

  it('reads the "run" settings and names what is wrong in them', () => {
    const run = {
      shm_size: '8g',
      ipc: 'host',
      mounts: [{ source: '~/data', target: '/data', readonly: false }],
      memory: '16g',
      cpus: 1.5,
      pids_limit: 2048,
      gpus: ['0', '1'],
      cloud_credentials: false,
      docker_run_args: '--shm-size 2g'
    };
    assert.deepEqual(load('.ariel.json', JSON.stringify({ run })).config().run, run);
    const size = errorOf('.ariel.json', '{ "run": { "shm_size": "lots" } }').error;
    assert.ok(size.message.includes('key "run.shm_size"'), size.message);
    assert.ok(size.hint?.includes('a size as Docker writes it'), size.hint);
    const unknown = errorOf('.ariel.json', '{ "run": { "privileged": true } }').error;
    assert.ok(unknown.message.includes('unknown key "run.privileged"'), unknown.message);
    assert.ok(unknown.hint?.includes('shm_size, ipc, mounts, memory, cpus, pids_limit, gpus'), unknown.hint);
    const target = errorOf('.ariel.json', '{ "run": { "mounts": [{ "source": "/x" }] } }').error;
    assert.ok(target.message.includes('key "run.mounts[0]"'), target.message);
    assert.ok(target.message.includes('target'), target.message);
    const gpus = errorOf('.ariel.json', '{ "run": { "gpus": 0 } }').error;
    assert.ok(gpus.message.includes('key "run.gpus"'), gpus.message);
  });

  it('rejects malformed JSON with file:line:column', () => {
    const { error, file } = errorOf('.ariel.json', '{\n  "extras": ["dev"]\n  "env": []\n}');
    assert.match(error.message, /invalid JSON/);
    assert.ok(error.message.startsWith(`${file}:3:3:`), error.message);
  });

  it('accepts comments and trailing commas in .ariel.json too', () => {
    assert.deepEqual(load('.ariel.json', '{ // mine\n "extras": ["dev",], }').config().extras, ['dev']);
  });

  it('reports a missing file as an ArielError', () => {
    assert.throws(
      () => loadConfig('/nonexistent/ariel-test/.ariel.json', '.ariel.json'),
      (error: Error) => error instanceof ArielError && error.message.includes('/nonexistent/ariel-test/.ariel.json')
    );
  });
});

describe("loadConfig: base images as Caliban names them, checked by Docker's grammar", () => {
  it('replaces {} in the object form too, and expands dlvm: names as Caliban does', () => {
    const { config } = load(
      '.calibanconfig.json',
      '{ "base_image": { "cpu": "dlvm:pytorch-{}-1.4", "gpu": "registry.example:5000/team/cuda:{}@sha256:' +
        'a'.repeat(64) +
        '" } }'
    );
    assert.deepEqual(config().baseImage, {
      cpu: 'gcr.io/deeplearning-platform-release/pytorch-cpu.1-4',
      gpu: `registry.example:5000/team/cuda:gpu@sha256:${'a'.repeat(64)}`
    });
    const plain = load('.calibanconfig.json', '{ "base_image": "dlvm:tf2-{}" }').config();
    assert.deepEqual(plain.baseImage, {
      cpu: 'gcr.io/deeplearning-platform-release/tf2-cpu',
      gpu: 'gcr.io/deeplearning-platform-release/tf2-gpu'
    });
    assert.deepEqual(
      load('.ariel.json', '{ "base_image": "dlvm:tf-gpu-1.15" }').config().baseImage.cpu,
      'gcr.io/deeplearning-platform-release/tf-gpu.1-15'
    );
  });

  for (const [image, rule] of [
    ['python:3.11-slim\nRUN touch /x #', 'line break'],
    ['python:3.11\tslim', 'U+0009'],
    ['python:3.11 slim', 'space'],
    ['team/Python', 'upper-case'],
    ['python:-bad', 'not an image reference'],
    ['python@sha256:abc', 'not an image reference'],
    [`${'a'.repeat(256)}:1`, 'at most 255'],
    ['dlvm:pytorch-{}-0.1', 'DLVM']
  ]) {
    it(`refuses base_image ${JSON.stringify(image.slice(0, 40))}, naming the rule`, () => {
      const { error, file } = errorOf('.ariel.json', JSON.stringify({ base_image: { gpu: image } }));
      assert.equal(error.code, 'config-invalid');
      assert.ok(error.message.startsWith(`${file}:1:16: key "base_image.gpu"`), error.message);
      assert.ok(error.message.includes(rule), error.message);
    });
  }

  it('takes __proto__ as an ordinary (unknown) key, and names an empty key', () => {
    assert.match(errorOf('.ariel.json', '{"build": {"__proto__": 1}}').error.message, /unknown key "build.__proto__"/);
    assert.match(errorOf('.ariel.json', '{"": 1}').error.message, /: empty key ""$/);
  });
});
