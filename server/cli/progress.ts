import type { BuildEvent, BuildListener } from '../docker/build.js';

export interface ProgressDisplay {
  listener: BuildListener;
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
      listener: (event: BuildEvent) => {
        if (event.type === 'step') {
          stream.write(`Step ${event.index}/${event.total} : ${event.instruction}\n`);
        } else if (event.type === 'output') {
          stream.write(`  ${event.line}\n`);
        } else if (event.type === 'done') {
          stream.write(event.reused ? `Image is up to date: ${event.image}\n` : `Built ${event.image}\n`);
        }
      },
      stop: () => undefined
    };
  }
  // Loaded only for terminals: kernel launchers and scripts never pay for it.
  const { default: ora } = await import('ora');
  const spinner = ora({ stream, text: 'Preparing build context' }).start();
  let step = '';
  const fit = (text: string) => text.slice(0, Math.max(20, (stream.columns ?? 80) - 4));
  return {
    listener: (event: BuildEvent) => {
      if (event.type === 'step') {
        step = `Step ${event.index}/${event.total} ${event.instruction}`;
        spinner.text = fit(step);
      } else if (event.type === 'output') {
        spinner.text = `${fit(step)}\n  ${fit(event.line)}`;
      } else if (event.type === 'done') {
        spinner.succeed(event.reused ? `Image is up to date: ${event.image}` : `Built ${event.image}`);
      }
    },
    stop: () => {
      if (spinner.isSpinning) {
        spinner.stop();
      }
    }
  };
}
