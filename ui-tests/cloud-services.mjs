// Google Cloud's stand-ins for the UI tests: a registry on loopback and the Vertex AI JobService
// emulator (both from the Node test suite, built into dist/). Writes {vertex, registry} as JSON to
// the file named by its argument once both listen; stops them, and removes the images pushed and
// pulled, on SIGTERM or SIGINT.
import { writeFileSync } from 'node:fs';
import Docker from 'dockerode';
import { VertexEmulator } from '../dist/server/cloud/testing/emulator.js';
import { TestRegistry } from '../dist/server/cloud/testing/registry.js';
import { removeRegistryImages } from '../dist/server/testing/registryImages.js';

const [file] = process.argv.slice(2);
const docker = new Docker();
const registry = new TestRegistry();
const emulator = new VertexEmulator({ docker });
await registry.start();
await emulator.start();
writeFileSync(file, JSON.stringify({ vertex: emulator.endpoint, registry: registry.host }));

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
