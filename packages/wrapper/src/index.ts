/**
 * @zocalo/wrapper: wrappers, python-zocalo's way to run a processing task as one recipe step.
 *
 * - `BaseWrapper`: extend it and implement `run()`; report with `prepare`, `update`, `done`,
 *   `success`, `failure`, `recordResultIndividualFile`, `recordResultAllFiles` (the recipe outputs
 *   `starting`, `updates`, `completed`, `success`, `failure`, `result-individual-file`,
 *   `result-all-files`, as in Python).
 * - `runWrapper()`: what `zocalo wrap --wrap NAME --recipewrapper FILE` does: status broadcasts
 *   (`WrapperStatus`, every 3 s and on change), `starting`, `run()`, `success`/`failure`, `completed`.
 * - Wrappers are found by name among installed packages (`"zocalo": { "wrappers": {...} }` in
 *   package.json) and the built-ins `command` (an external program) and `dummy`.
 * - `createWrapperService()`: a service that runs wrappers locally for the steps sent to its queue.
 */
export type {
  WrapperClass,
  WrapperContext,
  WrapperFactory,
  WrapperOutcome,
  WrapperRunResult,
} from './base-wrapper';
export { BaseWrapper, STARTING_TEXT, failureText } from './base-wrapper';
export type { StderrSink } from './command-wrapper';
export { CommandWrapper, sendToErrorSteps } from './command-wrapper';
export { DummyWrapper } from './dummy-wrapper';
export { SLURM_JOB_STATUS_FIELD, SlurmWrapper } from './slurm-wrapper';
export type { WrapperErrorCode } from './errors';
export { RecipeWrapperFileError, UnknownWrapperError, WRAPPER_ERROR_CODES, WrapperError } from './errors';
/** Re-exported from @zocalo/workflows, where the service runtime's status uses it too. */
export { extendedStatusFields } from '@zocalo/workflows';
export type { KnownWrapper, RunWrapperOptions, WrapperRunReport } from './run-wrapper';
export {
  BUILT_IN_WRAPPERS,
  WRAPPER_STOP_TIMEOUT,
  defaultWrapperSearch,
  knownWrappers,
  loadWrapper,
  readRecipeWrapperFile,
  runWrapper,
} from './run-wrapper';
export type { WrapperStatusOptions } from './status';
export { WRAPPER_STATUS_INTERVAL, WrapperStatus } from './status';
export type { WrapperServiceOptions } from './wrapper-service';
export { WRAPPER_SERVICE_QUEUE, createWrapperService } from './wrapper-service';
export { ZOCALO_VERSION } from './version';
