/**
 * Finding and making services for `zocalo service`: by name among the entry points of installed
 * packages (group `workflows.services`, as python-workflows finds services), or from a module path
 * (`./my-service.js`, `./services.js#Doubler`).
 *
 * What an entry point or module export may be:
 * - a service object (`defineService({...})`, or an instance): used as it is;
 * - a class (`class Doubler extends Service`): constructed with the {@link ServiceFactoryContext};
 * - a function (`createDispatcher`): called with the context; returns (or resolves to) a service.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Configuration } from '@zocalo/configuration';
import type { EntryPoint, EntryPointSearch, Logger, ServiceDefinition } from '@zocalo/workflows';
import { SERVICES_GROUP, findEntryPoints, loadEntryPoint, parseTarget } from '@zocalo/workflows';
import { CliError, oneLine } from './cli-error';
import { importModuleFile } from './module-file';

/** What a service factory (or class constructor) is given. */
export interface ServiceFactoryContext {
  /** The site configuration's `storage`, with `--storage` overrides. */
  readonly storage: Readonly<Record<string, unknown>>;
  readonly configuration: Configuration;
  readonly logger: Logger;
  /** Load the entry points of a group from installed packages (site plugins). */
  readonly loadEntryPoints: (group: string) => Promise<Array<{ name: string; value: unknown }>>;
}

/** A service found by name or path, not yet made. */
export interface ServiceSource {
  /** Where it came from: `package @zocalo/dispatcher` or a file. */
  readonly origin: string;
  load(): Promise<unknown>;
}

function isServiceDefinition(value: unknown): value is ServiceDefinition {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { name?: unknown }).name === 'string' &&
    (typeof (value as ServiceDefinition).initializing === 'function' ||
      typeof (value as ServiceDefinition).inShutdown === 'function')
  );
}

function isClass(value: unknown): value is new (context: ServiceFactoryContext) => unknown {
  return typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));
}

/** Whether `name` is meant as a module path rather than a service name. */
export function isModulePath(name: string): boolean {
  return /^(\.{1,2}[\\/]|[\\/])/.test(name) || isAbsolute(name) || /\.(?:[cm]?[jt]s)(?:[:#].*)?$/.test(name);
}

/** The entry points of installed services, by name. */
export function knownServices(search: EntryPointSearch): EntryPoint[] {
  return findEntryPoints(SERVICES_GROUP, search);
}

/** Find a service by name (exact, then ignoring case) or module path. */
export function findService(name: string, search: EntryPointSearch): ServiceSource {
  if (isModulePath(name)) {
    const { module, exportName } = parseTarget(name);
    const file = resolve(search.cwd, module ?? name);
    if (!existsSync(file))
      throw new CliError(`service module ${module ?? name} not found (looked at ${file})`);
    return {
      origin: file,
      async load() {
        const loaded = await importModuleFile(file, search.cwd);
        if (module === undefined || !/[:#]/.test(name)) {
          if ('default' in loaded) return loaded.default;
          const candidates = Object.values(loaded).filter(
            (value) => isServiceDefinition(value) || isClass(value),
          );
          if (candidates.length === 1) return candidates[0];
          throw new CliError(
            `${file} has no default export and ${candidates.length} service exports: name one, as ${name}#Name`,
          );
        }
        if (!(exportName in loaded)) throw new CliError(`${file} does not export ${exportName}`);
        return loaded[exportName];
      },
    };
  }
  const services = knownServices(search);
  const entry =
    services.find((service) => service.name === name) ??
    services.find((service) => service.name.toLowerCase() === name.toLowerCase());
  if (!entry) {
    const names = services.map((service) => service.name).join(', ') || 'none';
    throw new CliError(
      `unknown service "${name}": known services are ${names} (zocalo service --list); or give a module path such as ./my-service.js`,
    );
  }
  return { origin: `package ${entry.packageName}`, load: () => loadEntryPoint(entry) };
}

/** Make the service from what a source exports. */
export async function makeService(
  source: ServiceSource,
  context: ServiceFactoryContext,
): Promise<ServiceDefinition> {
  let value: unknown;
  try {
    value = await source.load();
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot load the service from ${source.origin}: ${oneLine(error)}`, undefined, {
      cause: error,
    });
  }
  let service: unknown;
  try {
    if (isServiceDefinition(value)) service = value;
    else if (isClass(value)) service = new value(context);
    else if (typeof value === 'function')
      service = await (value as (c: ServiceFactoryContext) => unknown)(context);
    else service = value;
  } catch (error) {
    throw new CliError(`cannot make the service from ${source.origin}: ${oneLine(error)}`, undefined, {
      cause: error,
    });
  }
  if (
    !isServiceDefinition(service) &&
    !(service && typeof (service as { name?: unknown }).name === 'string')
  ) {
    throw new CliError(
      `${source.origin} does not provide a service: expected a service object, a Service class or a function returning one`,
    );
  }
  return service as ServiceDefinition;
}
