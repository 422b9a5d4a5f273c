import { basename } from 'node:path';
import { ArielError } from '../errors.js';
import type { Project } from './project.js';
import { loadUserConfig } from './user-config.js';
import { maskCredentials, TRACKING_URI } from './values.js';

/** Where a project's jobs log to MLflow: the `mlflow` key, the user config's, or the environment. */
export interface MlflowSettings {
  trackingUri: string;
  experiment: string;
}

/** One job's MLflow run, as the job history keeps it. */
export interface MlflowRun extends MlflowSettings {
  /** `GROUP-INDEX`, the job's name in the history. */
  runName: string;
}

/**
 * The project's MLflow settings, or undefined when no tracking server is named. Each value comes
 * from the first of: the project's config file, the user config, the environment
 * (`MLFLOW_TRACKING_URI`, `MLFLOW_EXPERIMENT_NAME`); the experiment defaults to the project's name.
 */
export function mlflowSettings(project: Project, env: NodeJS.ProcessEnv = process.env): MlflowSettings | undefined {
  const own = project.config.mlflow ?? {};
  const user = own.trackingUri !== undefined && own.experiment !== undefined ? {} : (loadUserConfig(env)?.mlflow ?? {});
  const fromEnv = env.MLFLOW_TRACKING_URI || undefined;
  const trackingUri = own.trackingUri ?? user.trackingUri ?? fromEnv;
  if (trackingUri === undefined) {
    return undefined;
  }
  if (trackingUri === fromEnv) {
    const problem = TRACKING_URI.check(fromEnv);
    if (problem) {
      throw new ArielError(
        'config-invalid',
        `MLFLOW_TRACKING_URI in the environment ${problem}: ${JSON.stringify(maskCredentials(fromEnv))}`,
        `Expected ${TRACKING_URI.expected}.`
      );
    }
  }
  const experiment = own.experiment ?? user.experiment ?? (env.MLFLOW_EXPERIMENT_NAME || basename(project.root));
  return { trackingUri, experiment };
}

/** The job's run: its name in the history is its run name. */
export function mlflowRun(settings: MlflowSettings, group: string, index: number): MlflowRun {
  return { ...settings, runName: `${group}-${index}` };
}

/** The variables MLflow's client reads, for a container's environment. */
export function mlflowEnv(run: MlflowRun): Record<string, string> {
  return {
    MLFLOW_TRACKING_URI: run.trackingUri,
    MLFLOW_EXPERIMENT_NAME: run.experiment,
    MLFLOW_RUN_NAME: run.runName
  };
}
