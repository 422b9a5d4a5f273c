/**
 * Cold build of the bundled example's run image: Ariel's Dockerfile against the plain
 * single-stage Dockerfile an expert would write for it. Same engine, base image, index, build
 * network and context; no cache on either side; rounds alternate so load on the machine falls
 * on both alike. The engine is shared, so caches are neither pruned nor bypassed with `nocache`:
 * a nocache build leaves fresh images that other builds' identical steps then take as their
 * cache (the engine picks the newest match), so two images built around it stop sharing
 * layers. A label unique to each build, right after FROM, keeps every later step of it apart.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { collectContext, packContext } from '../docker/context.js';
import { DOCKERFILE_BUILD_ARG, DOCKERFILE_NAME, INDEX_BUILD_ARGS } from '../dockerfile/generate.js';
import { planImage, type ImagePlan } from '../dockerfile/plan.js';
import { findProject } from '../project/project.js';
import { median } from './figures.js';

const EXAMPLE = new URL('../../../examples/digits/', import.meta.url);

/**
 * What an expert writes for a requirements.txt project: one stage, code copied last. A virtual
 * environment, since a distribution's Python (as in CUDA or Debian images) refuses system-wide
 * pip installs.
 */
function handWritten(baseImage: string): string {
  return [
    `FROM ${baseImage}`,
    'ARG PIP_INDEX_URL',
    'ARG PIP_EXTRA_INDEX_URL',
    'ENV VIRTUAL_ENV=/opt/venv PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1',
    'WORKDIR /app',
    'COPY requirements.txt .',
    'RUN python3 -m venv /opt/venv && pip install -r requirements.txt',
    'COPY . .',
    ''
  ].join('\n');
}

/** Builds without cache; resolves to the time taken and the image's size. */
export async function coldBuild(docker: Docker, given: ImagePlan, tag: string): Promise<{ ms: number; bytes: number }> {
  const lines = given.dockerfile.split('\n');
  const from = lines.findIndex(line => line.startsWith('FROM '));
  lines.splice(from + 1, 0, `LABEL org.ariel.bench-build=${JSON.stringify(tag)}`);
  const plan = { ...given, dockerfile: lines.join('\n') };
  const context = await collectContext(plan);
  const started = performance.now();
  const stream = await docker.buildImage(packContext(plan, context), {
    t: tag,
    dockerfile: DOCKERFILE_NAME,
    buildargs: { ...plan.buildArgs, [DOCKERFILE_BUILD_ARG]: plan.dockerfile },
    networkmode: plan.network,
    rm: true,
    forcerm: true
  } as Docker.ImageBuildOptions);
  await new Promise<void>((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      error => (error ? reject(error) : resolve()),
      (message: { error?: string }) => message.error && reject(new Error(message.error))
    )
  );
  const ms = performance.now() - started;
  const { Size } = await docker.getImage(tag).inspect();
  return { ms, bytes: Size };
}

/** Removes the bench's images by tag; ones already gone are fine. */
export async function removeTags(docker: Docker, tags: string[]): Promise<void> {
  await Promise.all(
    tags.map(tag =>
      docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined)
    )
  );
}

/** Prints the cold-build ratio (goal: at most 1.15) and both images' sizes. */
export async function benchColdBuild(docker: Docker, rounds: number): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'ariel-bench-cold-'));
  const tags: string[] = [];
  try {
    cpSync(EXAMPLE, join(root, 'digits'), { recursive: true });
    const ariel = planImage(findProject(join(root, 'digits')), { mode: 'run', accelerator: 'cpu' });
    const { [INDEX_BUILD_ARGS.index]: index, [INDEX_BUILD_ARGS.extraIndex]: extraIndex } = ariel.buildArgs;
    const expert: ImagePlan = {
      ...ariel,
      dockerfile: handWritten(ariel.spec.baseImage),
      // The expert declares pip's own variables as ARGs.
      buildArgs: {
        ...(index ? { PIP_INDEX_URL: index } : {}),
        ...(extraIndex ? { PIP_EXTRA_INDEX_URL: extraIndex } : {})
      }
    };
    const times = { ariel: [] as number[], expert: [] as number[] };
    const sizes = { ariel: 0, expert: 0 };
    for (let round = 0; round < rounds; round++) {
      // Alternate which goes first, so neither always meets a warmer machine.
      const order = round % 2 === 0 ? (['expert', 'ariel'] as const) : (['ariel', 'expert'] as const);
      for (const side of order) {
        const tag = `ariel-bench/cold-${side}:${process.pid}-${round}`;
        tags.push(tag);
        const { ms, bytes } = await coldBuild(docker, side === 'ariel' ? ariel : expert, tag);
        times[side].push(ms);
        sizes[side] = bytes;
      }
    }
    const ratio = median(times.ariel) / median(times.expert);
    console.log(`cold run-mode build of examples/digits, median of ${rounds} alternated rounds (goal: ratio <= 1.15)`);
    console.log(
      `  ariel build: ${median(times.ariel).toFixed(0)} ms vs hand-written single stage ${median(times.expert).toFixed(0)} ms, ratio ${ratio.toFixed(2)}`
    );
    const seconds = (ms: number[]) => ms.map(t => (t / 1000).toFixed(1)).join(', ');
    console.log(`  rounds (s): ariel ${seconds(times.ariel)}; hand-written ${seconds(times.expert)}`);
    console.log(
      `  image size: ariel ${(sizes.ariel / 1e6).toFixed(0)} MB, hand-written ${(sizes.expert / 1e6).toFixed(0)} MB`
    );
  } finally {
    await removeTags(docker, tags);
    rmSync(root, { recursive: true, force: true });
  }
}
