// Google Cloud's stand-ins for the UI tests: a registry on loopback and the Vertex AI JobService
// emulator (both from the Node test suite, built into dist/). Writes {vertex, registry, gcsRoot} as
// JSON to the file named by its argument once both listen (gcsRoot: the folder beside it that stands
// for Cloud Storage, gs://BUCKET/PATH being gcsRoot/BUCKET/PATH); stops them, and removes the images
// pushed and pulled, on SIGTERM or SIGINT.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Docker from 'dockerode';
import { VertexEmulator } from '../dist/server/cloud/testing/emulator.js';
import { TestRegistry } from '../dist/server/cloud/testing/registry.js';
import { removeRegistryImages } from '../dist/server/testing/registryImages.js';

const [file] = process.argv.slice(2);
const docker = new Docker();
const registry = new TestRegistry();
const gcsRoot = join(dirname(file), 'gcs');
mkdirSync(gcsRoot, { recursive: true });
const emulator = new VertexEmulator({ docker, gcsRoot });
await registry.start();
await emulator.start();
writeFileSync(file, JSON.stringify({ vertex: emulator.endpoint, registry: registry.host, gcsRoot }));

let stopping = false;
const stop = async () => {
  if (stopping) {
    return;
  }
  stopping = true;
  await emulator.stop();
  await registry.stop();
  await removeRegistryImages(docker, `${registry.host}/`);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
