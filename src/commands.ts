import type { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { terminalIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import { KERNEL_NAMES, type Accelerator, type PruneResult, type Mode } from './api';
import { acceleratorIcons, arielIcon } from './icons';
import { describeError } from './request';
import { CommandIDs, type IArielModel, type IBuildLog } from './tokens';

export interface ICommandOptions {
  model: IArielModel;
  /** The folder the file browser shows, relative to Jupyter's root. */
  cwd: () => string;
  /** What shows a build's log (its main-area tab, given its id once started), or null when nothing can. */
  showLog: () => ((buildId: string | null) => void) | null;
}

/** The commands that act on the model: new notebook on a container kernel, shell, build, prune. */
export function addCommands(app: JupyterFrontEnd, options: ICommandOptions): void {
  const { commands } = app;
  const { model } = options;

  commands.addCommand(CommandIDs.newNotebook, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          accelerator: { type: 'string', enum: ['cpu', 'gpu'], description: 'The container kernel: CPU or GPU' },
          isLauncher: { type: 'boolean', description: "Labelled as the launcher's card" }
        }
      }
    },
    label: args =>
      args.isLauncher
        ? `Notebook (${accel(args).toUpperCase()} container)`
        : `New Notebook on the ${accel(args).toUpperCase()} Container`,
    caption: args =>
      `Build the project's ${accel(args).toUpperCase()} notebook image if needed, then open a notebook on it`,
    icon: args => acceleratorIcons[accel(args)],
    execute: async args => {
      const accelerator = accel(args);
      const cwd = options.cwd();
      const ready = await buildWithProgress(model, 'notebook', accelerator, cwd, {
        showLog: options.showLog(),
        run: true,
        ...(accelerator === 'gpu'
          ? {
              wayOut: {
                label: 'Use the CPU container',
                callback: () => void commands.execute(CommandIDs.newNotebook, { accelerator: 'cpu' })
              }
            }
          : {})
      });
      if (ready) {
        return commands.execute('notebook:create-new', { cwd, kernelName: KERNEL_NAMES[accelerator] });
      }
    }
  });

  commands.addCommand(CommandIDs.openShell, {
    describedBy: {
      args: {
        type: 'object',
        properties: { isLauncher: { type: 'boolean', description: "Labelled as the launcher's card" } }
      }
    },
    label: args => (args.isLauncher ? 'Shell (container)' : 'Open a Shell in the Project Container'),
    caption: "A terminal with a shell in the project's shell-mode container, the project mounted",
    icon: terminalIcon,
    execute: async () => {
      if (!model.project) {
        await model.refreshProject(); // Asked for only once something shows it, as the sidebar does.
      }
      const cwd = model.project?.root ?? options.cwd();
      const widget = await commands.execute('terminal:create-new', { cwd });
      // Jupyter resolves a terminal's relative folder against its own working folder before its
      // root ('' is where Jupyter was started), so the shell goes to the project from the root
      // Jupyter exports to terminals. Sent before the socket opens, it is queued by the connection.
      const folder = cwd ? `"$JUPYTER_SERVER_ROOT"/${shellQuote(cwd)}` : '"$JUPYTER_SERVER_ROOT"';
      widget.content.session.send({ type: 'stdin', content: [`cd -- ${folder} && ${model.shellCommand}\r`] });
      return widget;
    }
  });

  commands.addCommand(CommandIDs.buildImage, {
    describedBy: {
      args: {
        type: 'object',
        properties: {
          mode: { type: 'string', enum: ['notebook', 'shell', 'run', 'cloud'], description: 'The image mode' },
          accelerator: { type: 'string', enum: ['cpu', 'gpu'], description: 'CPU or GPU (default: the setting)' }
        }
      }
    },
    label: args => `Build the ${args.mode ?? 'notebook'} ${accel(args, model.defaultAccelerator).toUpperCase()} Image`,
    caption: 'Build an image of the project the file browser shows, with its live log',
    icon: arielIcon,
    execute: args =>
      buildWithProgress(
        model,
        (args.mode as Mode | undefined) ?? 'notebook',
        accel(args, model.defaultAccelerator),
        options.cwd(),
        { showLog: options.showLog() }
      )
  });

  commands.addCommand(CommandIDs.pruneImages, {
    describedBy: { args: { type: 'object', properties: {} } },
    label: 'Remove Outdated Images of the Project',
    caption: "Remove the project's images whose content hash is no longer current",
    execute: async () => {
      try {
        notifyPruned(await model.prune());
      } catch (error) {
        Notification.error(describeError(error), { autoClose: false });
      }
    }
  });
}

/**
 * Says what prune removed. Images it had to keep (a container uses one, say) are a warning that
 * stays, with each image's reason behind "Show why": a toast cuts text longer than 140 characters.
 */
function notifyPruned({ removed, failed }: PruneResult): void {
  const images = (n: number) => `${n} outdated image${n === 1 ? '' : 's'}`;
  if (!failed.length) {
    Notification.success(removed.length ? `Removed ${images(removed.length)}.` : 'No outdated images.', {
      autoClose: 4000
    });
    return;
  }
  const body = React.createElement(
    'ul',
    { className: 'jp-Ariel-pruneKept' },
    failed.map(({ reference, error }) =>
      React.createElement(
        'li',
        { key: reference },
        // Ariel's messages name the image; a bare engine message gets its name in front.
        `${error.message.includes(reference) ? '' : `${reference}: `}${error.message}${error.hint ? ` ${error.hint}` : ''}`
      )
    )
  );
  Notification.warning(
    removed.length
      ? `Removed ${images(removed.length)}; could not remove ${failed.length}.`
      : `Could not remove ${images(failed.length)}.`,
    {
      autoClose: false,
      actions: [
        {
          label: 'Show why',
          callback: () =>
            void showDialog({ title: 'Outdated images kept', body, buttons: [Dialog.okButton({ label: 'Close' })] })
        }
      ]
    }
  );
}

function accel(args: Record<string, unknown>, fallback: Accelerator = 'cpu'): Accelerator {
  return args.accelerator === 'gpu' || args.accelerator === 'cpu' ? args.accelerator : fallback;
}

/**
 * Builds an image (or finds it current) with its progress in a notification; resolves whether
 * it is ready. A failure says why and what to do, with the way out it is given.
 */
export async function buildWithProgress(
  model: IArielModel,
  mode: Mode,
  accelerator: Accelerator,
  path: string,
  options: { showLog: ((buildId: string | null) => void) | null; wayOut?: Notification.IAction; run?: boolean }
): Promise<boolean> {
  const what = `the ${mode} image (${accelerator.toUpperCase()})`;
  const { showLog } = options;
  let log: IBuildLog | null = null;
  // The build's id is known once it started; the action asks for it when clicked.
  const logActions: Notification.IAction[] = showLog
    ? [{ label: 'Show log', callback: () => showLog(log?.id ?? null), displayType: 'link' }]
    : [];
  const id = Notification.emit(`Preparing ${what}…`, 'in-progress', { autoClose: false, actions: logActions });
  const onProgress = (sender: IBuildLog) => {
    const progress = sender.progress;
    if (progress && !sender.finished) {
      Notification.update({
        id,
        message: `Building ${what}: step ${progress.step} of ${progress.total}`,
        progress: progress.step / progress.total
      });
    }
  };
  try {
    log = await model.build(mode, accelerator, path, options.run);
    log.changed.connect(onProgress);
    await log.done;
    Notification.update({
      id,
      type: 'success',
      message: `${capitalize(what)} is ready.`,
      autoClose: 3000,
      actions: []
    });
    return true;
  } catch (error) {
    const tail = log?.lines.slice(-5).join('\n');
    const reason = log?.error
      ? `${log.error.message}${log.error.hint ? ` ${log.error.hint}` : ''}`
      : describeError(error);
    Notification.update({
      id,
      type: 'error',
      message: `Could not prepare ${what}: ${reason}${tail && log?.state === 'failed' ? `\n${tail}` : ''}`,
      autoClose: false,
      actions: options.wayOut ? [options.wayOut, ...logActions] : logActions
    });
    return false;
  } finally {
    log?.changed.disconnect(onProgress);
  }
}

/** One word for a POSIX shell, whatever the text holds. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
