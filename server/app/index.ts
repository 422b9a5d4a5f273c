/**
 * Ariel's application layer: the operations every entry point shares (the CLI, the kernel
 * launcher, the companion server). Entry points only translate their input and output:
 * they build an `AppDeps` once (`createAppDeps()`, or fakes in tests), call these, render
 * `AppEvent`s (see `describeEvent`) and turn `ArielError` codes into their own wording
 * (exit codes and commands in the CLI, HTTP statuses in the server).
 *
 * Every operation takes `(deps, request, progress?)`:
 * - `deps`: `{ docker, builds, env }`; one `BuildService` per process, so that concurrent
 *   requests for one image share a build and its events;
 * - `request`: plain data (a resolved `Project`, mode, accelerator, ...);
 * - `progress`: `{ onEvent, signal }`; aborting rejects with a `CancelledError` after
 *   removing whatever was started.
 *
 * Results are plain data, fit for JSON (`ImageRef` serialises as `repository:tag`).
 *
 * Images:     planFor, resolveImage / imageFor (no engine), prepareImage, listImages, removeImage, pruneImages
 * Records:    imageRecord, lockProject, checkLock, kernelDrift, addDriftToProject, checkCloudImage
 * Containers: listContainers, stopContainer
 * Runs:       planExperiment, experimentWarnings (no engine), runExperiment
 * Shells:     openShell (on this process's terminal)
 * Kernels:    startKernelContainer
 * Cloud:      planCloudExperiment (no engine), submitCloudExperiment
 * Job history: refreshJobs, stopJobs (local and cloud jobs alike)
 */
export { createAppDeps, type AppDeps, type Progress } from './deps.js';
export { describeEvent, type AppEvent, type AppListener } from './events.js';
export {
  imageFor,
  listImages,
  planFor,
  prepareImage,
  pruneImages,
  removeImage,
  resolveImage,
  staleImages,
  type ImageFilter,
  type ImageInfo,
  type ImageRequest,
  type ListOptions,
  type PruneResult
} from './images.js';
export {
  addDriftToProject,
  checkEnvironment,
  checkLock,
  describeEnvironmentCheck,
  imageRecord,
  kernelDrift,
  lockProject,
  type AddToProjectResult,
  type EnvironmentCheck,
  type ImageRecordInfo,
  type KernelDrift,
  type LockCheck,
  type LockResult
} from './drift.js';
export { checkCloudImage, type CloudImageCheck } from './check.js';
export { listContainers, stopContainer, type ContainerFilter, type ContainerInfo } from './containers.js';
export {
  experimentWarnings,
  planExperiment,
  runExperiment,
  type ExperimentPlan,
  type ExperimentRequest,
  type ExperimentResult,
  type RunProgress
} from './run.js';
export { openShell, type ShellRequest } from './shell.js';
export {
  planCloudExperiment,
  rebuildGroupImage,
  submitCloudExperiment,
  type CloudDeps,
  type CloudEvent,
  type CloudExperimentRequest,
  type CloudOutcome,
  type CloudPlan
} from './cloud.js';
export { refreshJobs, selectJobs, stopJobs, type JobSelection, type JobsDeps, type StopOutcome } from './jobs.js';
export { adoptKernelContainer, startKernelContainer, type KernelHandle, type KernelRequest } from './kernel.js';
export { ImageRef } from '../docker/imageRef.js';
export { LABELS, type Role } from '../docker/labels.js';
