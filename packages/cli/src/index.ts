/**
 * @zocalo/cli: the `zocalo` command line, and the functions behind it for use in code.
 *
 * - `program.ts`: {@link createProgram} (commander) and {@link runCli}, which runs a command line and
 *   maps failures to one-line messages and exit codes (`cli-error.ts`).
 * - `commands/`: one file per command — `go` ({@link go}: send a processing request), `service`,
 *   `wrap`, `shutdown`, `status`, `recipe validate|graph`, `dlq check|purge|reinject`, `queue drain`,
 *   `pickup`, `rabbitmq configure` ({@link configureRabbitmq} in `rabbitmq-configure.ts`, planned by
 *   `rabbitmq-plan.ts` from `rabbitmq-file.ts` and the INI users of `rabbitmq-users.ts`).
 * - `dead-letters.ts`: DLQ names and counts per broker (statistics plugin, management API);
 *   `progress.ts`: progress bars on a terminal, plain lines otherwise.
 * - `site.ts`: the site configuration, environment and transport options every broker command
 *   shares, and connecting with a clear error; `transport-packages.ts`: the transports, by descriptor.
 * - `entry-points.ts` / `services.ts`: services (and plugins) found among installed packages, as
 *   python-zocalo finds entry points, or from a module path.
 * - `status-board.ts`: what `zocalo status` shows; `recipe-graph.ts`: Mermaid and DOT of a recipe;
 *   `wrap-step.ts`: running a program as a recipe step; `parameters.ts`: `KEY=VALUE` parsing.
 */
export type { CliOptions } from './program';
export { CLI_VERSION, createProgram, runCli } from './program';
export type { CliErrorCode } from './cli-error';
export { CLI_ERROR_CODES, CliError, EXIT_FAILURE, EXIT_USAGE, oneLine } from './cli-error';
export type { CliIo } from './io';
export { processIo } from './io';
export type { GoOptions } from './commands/go';
export { go, goHeaders } from './commands/go';
export { completeHost, sendShutdown, shutdownCommands } from './commands/shutdown';
export { factoryContext } from './commands/service';
export { parseSeconds } from './commands/dlq';
export { parseRate } from './commands/queue';
export type {
  BindingEntry,
  ExchangeEntry,
  GroupEntry,
  PermissionEntry,
  PolicyEntry,
  RabbitmqFile,
  VhostEntry,
} from './rabbitmq-file';
export { desiredState, parseRabbitmqFile, readRabbitmqFile } from './rabbitmq-file';
export type {
  Action,
  BindingSpec,
  CurrentBinding,
  CurrentQueue,
  CurrentState,
  CurrentUser,
  DesiredState,
  Difference,
  ExchangeSpec,
  PermissionSpec,
  PlanOptions,
  PolicySpec,
  QueueSpec,
  Subject,
  UserSpec,
  Verb,
  VhostSpec,
} from './rabbitmq-plan';
export { describeAction, planConfiguration } from './rabbitmq-plan';
export type {
  ConfigureOutcome,
  ConfigureRabbitmqOptions,
  ConfigureRabbitmqResult,
} from './rabbitmq-configure';
export { configureRabbitmq } from './rabbitmq-configure';
export { parseTags, parseUserFile, readUserConfig } from './rabbitmq-users';
export type { StoredRequest } from './commands/pickup';
export { StoredRequestError, readStoredRequest } from './commands/pickup';
export type { DeadLetterBroker, ManagementOptions, QueueNaming } from './dead-letters';
export { addManagementOptions, deadLetterBroker, queueNaming } from './dead-letters';
export type { Progress, ProgressOptions } from './progress';
export { createProgress } from './progress';
export type { Site, SiteOptions } from './site';
export { addSiteOptions, disconnectQuietly, loadSite } from './site';
export {
  TRANSPORTS_GROUP,
  loadTransportPackage,
  registerInstalledTransports,
  transportChoices,
} from './transport-packages';
export type { EntryPoint, EntryPointSearch } from './entry-points';
export {
  SERVICES_GROUP,
  activeConditions,
  findEntryPoints,
  loadEntryPoint,
  packageEntryFile,
  parseTarget,
} from './entry-points';
export type { ServiceFactoryContext, ServiceSource } from './services';
export { findService, isModulePath, knownServices, makeService } from './services';
export type { StatusEntry } from './status-board';
export { STATUS_AGE_LIMIT, StatusBoard, formatUtilization, watchStatus } from './status-board';
export type { RecipeEdge } from './recipe-graph';
export { recipeEdges, toDot, toMermaid } from './recipe-graph';
export type { WrapStepOptions, WrapStepResult } from './wrap-step';
export { WRAP_STATUS_INTERVAL, sendToErrorSteps, taskName, wrapStep } from './wrap-step';
export { collect, parseParameter, parseParameters } from './parameters';
