/**
 * `zocalo service WrapperService`: runs wrappers locally, in the service's process, for the recipe
 * steps sent to its queue, as a cluster submission service would run `zocalo wrap` for them
 * elsewhere. A step names its wrapper in its parameters:
 *
 * ```json
 * { "service": "WrapperService", "queue": "zocalo.wrapper", "parameters": { "wrapper": "xia2" },
 *   "output": { "success": 2, "failure": 3 } }
 * ```
 *
 * Each run reports as `zocalo wrap` would (status broadcasts, `starting`, `success` / `failure`,
 * `completed`); the message is acknowledged once the run has ended, whatever its outcome. A step
 * naming no wrapper, or one that no installed package provides, is rejected (dead-lettered).
 * Storage: `zocalo.wrapper.queue` (default `zocalo.wrapper`). A shutdown lets a run finish.
 */
import type { Configuration } from '@zocalo/configuration';
import { recipeHandler } from '@zocalo/recipes';
import type { EntryPointSearch, ServiceDefinition } from '@zocalo/workflows';
import { UnknownWrapperError } from './errors';
import { defaultWrapperSearch, runWrapper } from './run-wrapper';

/** The queue the wrapper service consumes unless `zocalo.wrapper.queue` says otherwise. */
export const WRAPPER_SERVICE_QUEUE = 'zocalo.wrapper';

/** What the wrapper service is made with (`zocalo service` gives its factory context). */
export interface WrapperServiceOptions {
  readonly storage?: Readonly<Record<string, unknown>>;
  readonly configuration?: Configuration;
  /** Where wrappers are looked for. Default: the working directory's project and the running script's installation. */
  readonly search?: EntryPointSearch;
  /** Seconds between each run's status broadcasts. Default 3. */
  readonly statusInterval?: number;
}

export function createWrapperService(options: WrapperServiceOptions = {}): ServiceDefinition {
  const queue = String(options.storage?.['zocalo.wrapper.queue'] ?? WRAPPER_SERVICE_QUEUE);
  const search = options.search ?? defaultWrapperSearch();
  let runs = 0;
  return {
    name: 'WrapperService',
    serviceClass: 'WrapperService',
    async initializing(ctx) {
      await ctx.subscribe(
        queue,
        recipeHandler(async (rw, msg) => {
          const name = rw.recipeStep?.parameters?.wrapper;
          if (typeof name !== 'string' || name === '') {
            return msg.reject(
              'the recipe step names no wrapper: set its parameters.wrapper to a wrapper name',
            );
          }
          let report;
          try {
            report = await runWrapper({
              wrapper: name,
              recipeWrapper: rw,
              transport: ctx.transport,
              logger: msg.logger,
              search,
              configuration: options.configuration,
              statusInterval: options.statusInterval,
              // Each run has a status of its own beside the service's.
              hostId: `${ctx.hostId}.wrap${++runs}`,
            });
          } catch (error) {
            if (error instanceof UnknownWrapperError) return msg.reject(error.message);
            throw error;
          }
          msg.logger.info({ wrapper: name, outcome: report.outcome }, `wrapper ${name}: ${report.outcome}`);
        }),
      );
    },
  };
}
