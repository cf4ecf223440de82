/**
 * How to write a service: extend {@link Service} (like python-workflows' `CommonService`) or call
 * {@link defineService} with a plain object. Either way a service is a name, `initializing()`, which
 * declares subscriptions and timers, and `inShutdown()`; {@link ServiceRuntime} does the rest.
 */
import type { ServiceContext } from './service-context';

/** What the runtime needs of a service. */
export interface ServiceDefinition {
  /** Human-readable name, sent as `service` in status broadcasts. */
  readonly name: string;
  /**
   * Sent as `serviceclass` in status broadcasts and matched by shutdown commands addressed to a
   * service. Default: the class name for {@link Service}, `name` for {@link defineService}.
   */
  readonly serviceClass?: string;
  /** Declare subscriptions and timers; runs once the transport is connected, in state STARTING. */
  initializing?(context: ServiceContext): void | Promise<void>;
  /** Runs once no more messages are taken and the last one is finished; sends still work. */
  inShutdown?(context: ServiceContext): void | Promise<void>;
}

/**
 * Base class for services:
 *
 * ```ts
 * class Echo extends Service {
 *   readonly name = 'Echo';
 *   async initializing(ctx: ServiceContext) {
 *     await ctx.subscribe('echo', (msg) => msg.send('echoed', msg.message));
 *   }
 * }
 * ```
 */
export abstract class Service implements ServiceDefinition {
  abstract readonly name: string;

  /**
   * The class name. Code that is minified should override it with a fixed name:
   * `override get serviceClass() { return 'Echo'; }`.
   */
  get serviceClass(): string {
    return this.constructor.name;
  }

  initializing(_context: ServiceContext): void | Promise<void> {}

  inShutdown(_context: ServiceContext): void | Promise<void> {}
}

/** A service from a plain object; `serviceClass` defaults to `name`. */
export function defineService(definition: ServiceDefinition): ServiceDefinition {
  return { ...definition, serviceClass: definition.serviceClass ?? definition.name };
}
