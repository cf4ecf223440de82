/**
 * @zocalo/dispatcher: the Dispatcher service, python-zocalo's single point of contact that turns
 * processing requests on `processing_recipe` into started recipes.
 *
 * - `dispatcher.ts`: the {@link Dispatcher} service and its options.
 * - `request.ts`: the request format (`recipes`, `custom_recipe`, `parameters`) and the recipe ID.
 * - `filters.ts`: the filters that build the recipe; {@link STANDARD_FILTERS} are python-zocalo's.
 * - `readiness.ts`: hooks that hold a request back, re-sent every 2 s until `dispatcher_timeout`.
 * - `logbook.ts` / `neat-json.ts`: the logbook of requests, in python-zocalo's format.
 * - `create-dispatcher.ts`: {@link createDispatcher}, the Dispatcher from site configuration, as
 *   `zocalo service Dispatcher` starts it.
 * - `errors.ts`: {@link DispatchError}.
 */
export type { DispatcherOptions } from './dispatcher';
export { Dispatcher, HOPS_KEY } from './dispatcher';
export type { ProcessingRequest, ProcessingRequestOptions } from './request';
export { PROCESSING_QUEUE, assignGuid, processingRequest, readRequest } from './request';
export type { DispatcherFilter, FilterContext, FilterState } from './filters';
export {
  STANDARD_FILTERS,
  applyParameters,
  loadCustomRecipe,
  loadRecipesFromFiles,
  recipeFile,
} from './filters';
export type { HoldBack, ReadinessContext, ReadinessHook } from './readiness';
export { DEFAULT_DISPATCHER_TIMEOUT, HOLD_BACK_DELAY, holdBack } from './readiness';
export type { LogbookEntry } from './logbook';
export { Logbook, cleanGuid, logbookText, monthFolder } from './logbook';
export { neatJson } from './neat-json';
export type { DispatcherFactoryContext, LoadedEntryPoint } from './create-dispatcher';
export { ENTRY_POINT_GROUPS, STORAGE_KEYS, createDispatcher } from './create-dispatcher';
export type { DispatcherErrorCode } from './errors';
export { DISPATCHER_ERROR_CODES, DispatchError } from './errors';
