/**
 * Transports by name, so that configuration alone picks the broker. `memory` is built in; `stomp` and
 * `amqp` are loaded on first use from `@zocalo/transport-stomp` and `@zocalo/transport-amqp`, and a
 * third-party package can register its own name.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TransportConfigError } from './errors';
import { MemoryTransport } from './memory/memory-transport';
import type { Transport } from './transport';

/** Options a transport factory receives: the settings of its configuration block and flags. */
export type TransportSettings = Readonly<Record<string, unknown>>;

export type TransportFactory = (settings: TransportSettings) => Transport;

// One registry per process, even when both the ESM and the CJS build of this package are loaded
// (a transport package loaded as CJS must register where an ESM application looks).
const REGISTRY = Symbol.for('@zocalo/workflows/transport-registry');
const registryHolder = globalThis as typeof globalThis & { [REGISTRY]?: Map<string, TransportFactory> };
const factories: Map<string, TransportFactory> = (registryHolder[REGISTRY] ??= new Map());
if (!factories.has('memory')) {
  factories.set(
    'memory',
    (settings) => new MemoryTransport(settings as ConstructorParameters<typeof MemoryTransport>[0]),
  );
}

/** Packages that provide a transport of this name when imported. */
const knownPackages: Readonly<Record<string, string>> = {
  stomp: '@zocalo/transport-stomp',
  amqp: '@zocalo/transport-amqp',
  pika: '@zocalo/transport-amqp',
};

/** Make a transport available by name. A package providing a transport calls this when imported. */
export function registerTransport(name: string, factory: TransportFactory): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) {
    throw new TransportConfigError(
      `transport name "${name}" is invalid: use lower-case letters, digits, "-" and "_"`,
    );
  }
  factories.set(name, factory);
}

/** Names of the transports registered so far. */
export function registeredTransports(): string[] {
  return [...factories.keys()].sort();
}

/**
 * Create a transport by name. A name not yet registered is looked for in the package that provides
 * it (`@zocalo/transport-<name>`), which registers itself when imported.
 */
export async function createTransport(name: string, settings: TransportSettings = {}): Promise<Transport> {
  let factory = factories.get(name);
  if (!factory) {
    const pkg = knownPackages[name] ?? `@zocalo/transport-${name}`;
    try {
      await importTransportPackage(pkg);
    } catch (error) {
      throw new TransportConfigError(
        `unknown transport "${name}": it is not registered and package ${pkg} could not be loaded ` +
          `(${(error as Error).message}); install it, or call registerTransport("${name}", factory). ` +
          `Registered: ${registeredTransports().join(', ')}`,
        { cause: error },
      );
    }
    factory = factories.get(name);
    if (!factory) {
      throw new TransportConfigError(
        `package ${pkg} was loaded but did not register a transport named "${name}"`,
      );
    }
  }
  return factory(settings);
}

/**
 * Import a transport package. First as this package sees it; then as the application sees it (from
 * the working directory): under strict layouts such as pnpm's, @zocalo/workflows cannot see the
 * transport packages the application installed.
 */
async function importTransportPackage(pkg: string): Promise<void> {
  try {
    await import(pkg);
  } catch (error) {
    let resolved: string;
    try {
      resolved = createRequire(join(process.cwd(), 'package.json')).resolve(pkg);
    } catch {
      throw error;
    }
    await import(pathToFileURL(resolved).href);
  }
}
