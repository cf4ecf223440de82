/**
 * The transports the command line knows, each by its descriptor: python-workflows' two (their light
 * descriptor modules, through @zocalo/configuration), `memory`, and those of installed packages that
 * declare one as an entry point, as python-workflows' transports are declared:
 *
 * ```json
 * "zocalo": { "workflows.transport": { "mine": "./dist/descriptor.js:descriptor" } }
 * ```
 *
 * Their flags and names are known before the command line is parsed; a transport's client is loaded
 * only when one is created. A transport that declares no entry point is still found by its package
 * name, `@zocalo/transport-<name>`, imported from here, where the command line's dependencies resolve.
 */
import { knownTransport, knownTransports } from '@zocalo/configuration';
import type { EntryPointSearch, TransportDescriptor } from '@zocalo/workflows';
import {
  TRANSPORTS_GROUP,
  findEntryPoints,
  loadEntryPoint,
  plainTransportName,
  registerTransport,
  transportDescriptor,
} from '@zocalo/workflows';
import { CliError, EXIT_FAILURE, EXIT_USAGE, oneLine } from './cli-error';

function isDescriptor(value: unknown): value is TransportDescriptor {
  const candidate = value as Partial<TransportDescriptor> | null | undefined;
  return typeof candidate?.name === 'string' && typeof candidate.create === 'function';
}

/**
 * Register the descriptors that installed packages declare as `workflows.transport` entry points,
 * except those of transports already known (nothing is loaded for them). Returns a warning for each
 * entry point that could not be loaded: a broken package must not stop every command.
 */
export async function registerInstalledTransports(search: EntryPointSearch): Promise<string[]> {
  knownTransports();
  const warnings: string[] = [];
  for (const entry of findEntryPoints(TRANSPORTS_GROUP, search)) {
    if (transportDescriptor(entry.name)) continue;
    try {
      const loaded = await loadEntryPoint(entry);
      if (!isDescriptor(loaded)) throw new Error(`${entry.target} is not a transport descriptor`);
      registerTransport(loaded);
    } catch (error) {
      warnings.push(`transport ${entry.name} of ${entry.packageName} is not usable: ${oneLine(error)}`);
    }
  }
  return warnings;
}

/** The names a transport is known by, for help and errors: `amqp (pika, rabbitmq)`. */
export function transportChoices(): string {
  return knownTransports()
    .map((descriptor) =>
      descriptor.aliases?.length ? `${descriptor.name} (${descriptor.aliases.join(', ')})` : descriptor.name,
    )
    .join(', ');
}

/**
 * The descriptor of transport `name`, importing `@zocalo/transport-<name>` when it is not known.
 * Throws a {@link CliError}: for a name no installed package provides (bad input), or for a package
 * that is there but fails to load or provides no such transport.
 */
export async function loadTransportPackage(name: string): Promise<TransportDescriptor> {
  const known = knownTransport(name);
  if (known) return known;
  const pkg = `@zocalo/transport-${plainTransportName(name)}`;
  let loaded: unknown;
  try {
    loaded = await import(pkg);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing =
      (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && oneLine(error).includes(`'${pkg}'`);
    if (missing) {
      throw new CliError(
        `unknown transport "${name}": no installed package provides it (looked for ${pkg}); known: ${transportChoices()}`,
        EXIT_USAGE,
        { cause: error },
      );
    }
    throw new CliError(`the ${name} transport (${pkg}) failed to load: ${oneLine(error)}`, EXIT_FAILURE, {
      cause: error,
    });
  }
  const exported = (loaded as { descriptor?: unknown }).descriptor;
  if (!transportDescriptor(name) && isDescriptor(exported)) registerTransport(exported);
  const found = transportDescriptor(name);
  if (!found) {
    throw new CliError(`${pkg} was loaded but did not register a transport named "${name}"`, EXIT_FAILURE);
  }
  return found;
}
