import type { CloudPlan } from './cloud.js';
import type { AppDeps, Progress } from './deps.js';
import { checkEnvironment, describeEnvironmentCheck, type EnvironmentCheck } from './drift.js';
import { prepareImage } from './images.js';

/** What a submission would ship, compared with what the notebook ran: the check and its words. */
export interface CloudImageCheck {
  check: EnvironmentCheck;
  /** Each difference with the way out (add to the project, rebuild, lock). */
  warnings: string[];
  /** When all is well, one line that says so ("Same 143 packages as the notebook's image."). */
  ok?: string;
}

/**
 * The submission check, before anything is pushed: builds the planned cloud image (or finds it,
 * by its content hash) and compares its record with the project's current notebook image and
 * the project's running kernels, as `ariel cloud` does before it submits. The submission that
 * follows finds the same image, so it builds nothing again.
 */
export async function checkCloudImage(
  deps: AppDeps,
  plan: CloudPlan,
  progress: Progress = {}
): Promise<CloudImageCheck> {
  const built = await prepareImage(deps, plan.image, progress);
  const check = await checkEnvironment(deps, {
    project: plan.request.project,
    cloudImage: built.image.name,
    accelerator: plan.image.accelerator
  });
  return { check, ...describeEnvironmentCheck(check) };
}
