import {
  describeEvent,
  describePush,
  layerDone,
  type AppEvent,
  type AppListener,
  type CloudEvent,
  type PushEvent,
  type SubmitEvent
} from '../app/index.js';

export interface ProgressDisplay {
  listener: AppListener;
  /** Stops a spinner that is still running (the build failed or was cancelled). */
  stop(): void;
}

/**
 * Build progress for a terminal: a spinner with the current step on a TTY,
 * plain lines (steps and their output) otherwise, always on stderr so that
 * stdout carries only results.
 */
export async function buildProgress(stream: NodeJS.WriteStream = process.stderr): Promise<ProgressDisplay> {
  if (!stream.isTTY) {
    return {
      listener: (event: AppEvent) => {
        const line = describeEvent(event);
        if (line !== undefined) {
          stream.write(`${line}\n`);
        }
      },
      stop: () => undefined
    };
  }
  // Loaded only for terminals: scripts never pay for it.
  const { default: ora } = await import('ora');
  const spinner = ora({ stream, text: 'Preparing build context' }).start();
  let step = '';
  const fit = (text: string) => text.slice(0, Math.max(20, (stream.columns ?? 80) - 4));
  return {
    listener: (event: AppEvent) => {
      if (event.type === 'check') {
        spinner.text = event.check === 'gpu' ? 'Checking that containers can get a GPU' : 'Checking the Docker engine';
      } else if (event.type === 'step') {
        step = `Step ${event.index}/${event.total} ${event.instruction}`;
        spinner.text = fit(step);
      } else if (event.type === 'output') {
        spinner.text = `${fit(step)}\n  ${fit(event.line)}`;
      } else if (event.type === 'done') {
        spinner.succeed(describeEvent(event));
      }
    },
    stop: () => {
      if (spinner.isSpinning) {
        spinner.stop();
      }
    }
  };
}

/**
 * Push progress for a terminal: one line that follows every layer on a TTY, a line per layer as
 * it reaches the registry otherwise; on stderr.
 */
export async function pushProgress(stream: NodeJS.WriteStream = process.stderr): Promise<{
  listener: (event: PushEvent) => void;
  stop(): void;
}> {
  const layers = new Map<string, PushEvent>();
  if (!stream.isTTY) {
    return {
      listener: event => {
        const before = layers.get(event.layer);
        layers.set(event.layer, event);
        if (layerDone(event) && !(before && layerDone(before))) {
          stream.write(`  layer ${event.layer}: ${event.status}\n`);
        }
      },
      stop: () => undefined
    };
  }
  const { default: ora } = await import('ora');
  // Started by the first layer: a caller may set this up while a build is still showing its own.
  const spinner = ora({ stream, text: 'Pushing' });
  return {
    listener: event => {
      layers.set(event.layer, event);
      spinner.text = describePush(layers);
      if (!spinner.isSpinning) {
        spinner.start();
      }
    },
    stop: () => {
      if (spinner.isSpinning) {
        spinner.stopAndPersist({ text: describePush(layers) });
      }
    }
  };
}

/** A job creation's news as one line. */
export function progressLine(event: SubmitEvent): string {
  switch (event.type) {
    case 'created':
      return `Created job ${event.index}: ${event.name}${event.adopted ? ' (found after a lost response)' : ''}\n`;
    case 'retry':
      return `Job ${event.index}: ${event.error}; trying again in ${(event.delayMs / 1000).toFixed(1)} s (try ${event.attempt + 1})\n`;
    case 'failed':
      return `Job ${event.index} was not created: ${event.error}\n`;
  }
}

/** A submission's events on stderr: a spinner (or lines) for the build, then the push, then a line per job. */
export async function withCloudProgress<T>(work: (onEvent: (event: CloudEvent) => void) => Promise<T>): Promise<T> {
  const building = await buildProgress();
  const pushing = await pushProgress();
  try {
    return await work(event => {
      if (event.type === 'phase') {
        if (event.phase === 'push') {
          building.stop();
          process.stderr.write(`${event.detail}\n`);
        }
      } else if (event.type === 'planned') {
        pushing.stop();
        process.stderr.write(`Pushed ${event.image}\n`);
      } else if (event.type === 'push') {
        pushing.listener(event);
      } else if (event.type === 'created' || event.type === 'retry' || event.type === 'failed') {
        process.stderr.write(progressLine(event));
      } else {
        building.listener(event);
      }
    });
  } finally {
    building.stop();
    pushing.stop();
  }
}
