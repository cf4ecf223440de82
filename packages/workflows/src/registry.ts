/**
 * Transports by name, so that configuration alone picks the broker. Each transport is registered by
 * its descriptor (transport-descriptor.ts), under its name and aliases; `memory` is built in. A name
 * not registered is looked for in the package `@zocalo/transport-<name>`, then among the installed
 * `@zocalo/transport-*` packages' descriptors (an alias such as `pika` names no package of its own).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TransportConfigError } from './errors';
import { memoryDescriptor } from './memory/memory-descriptor';
import type { Transport } from './transport';
import type { TransportDescriptor, TransportSettings } from './transport-descriptor';

export type { TransportSettings } from './transport-descriptor';

export type TransportFactory = (settings: TransportSettings) => Transport;

// One registry per process, even when both the ESM and the CJS build of this package are loaded
// (a transport package loaded as CJS must register where an ESM application looks).
const REGISTRY = Symbol.for('@zocalo/workflows/transport-descriptors');
const registryHolder = globalThis as typeof globalThis & {
  [REGISTRY]?: Map<string, TransportDescriptor>;
};
/** Descriptors by name and by alias. */
const byName: Map<string, TransportDescriptor> = (registryHolder[REGISTRY] ??= new Map());
if (!byName.has('memory')) register(memoryDescriptor);

const VALID_NAME = /^[a-z][a-z0-9_-]*$/;

/** The plain form of a transport name: python-workflows' `PikaTransport` is `pika`. */
export function plainTransportName(name: string): string {
  return name
    .trim()
    .replace(/Transport$/, '')
    .toLowerCase();
}

function register(descriptor: TransportDescriptor): void {
  for (const [key, known] of byName) if (known.name === descriptor.name) byName.delete(key);
  byName.set(descriptor.name, descriptor);
  for (const alias of descriptor.aliases ?? []) byName.set(alias, descriptor);
}

/**
 * Make a transport available by its descriptor's name and aliases (replacing one of the same name).
 * A package providing a transport calls this when imported. `registerTransport(name, factory)` is the
 * short form for a transport that has nothing else to describe.
 */
export function registerTransport(descriptor: TransportDescriptor): void;
export function registerTransport(name: string, factory: TransportFactory): void;
export function registerTransport(what: TransportDescriptor | string, factory?: TransportFactory): void {
  const descriptor: TransportDescriptor =
    typeof what === 'string' ? { name: what, create: factory as TransportFactory } : what;
  for (const name of [descriptor.name, ...(descriptor.aliases ?? [])]) {
    if (!VALID_NAME.test(name)) {
      throw new TransportConfigError(
        `transport name "${name}" is invalid: use lower-case letters, digits, "-" and "_"`,
      );
    }
  }
  if (typeof descriptor.create !== 'function') {
    throw new TransportConfigError(`transport "${descriptor.name}" has no create(settings) factory`);
  }
  register(descriptor);
}

/**
 * The descriptor registered under this name or alias (`PikaTransport` and `pika` find `amqp`), or
 * undefined. Nothing is loaded: see {@link findTransportDescriptor}.
 */
export function transportDescriptor(name: string): TransportDescriptor | undefined {
  return byName.get(name) ?? byName.get(plainTransportName(name));
}

/** Every registered descriptor, once each, in the order registered (`memory` first). */
export function transportDescriptors(): TransportDescriptor[] {
  return [...new Set(byName.values())];
}

/** Names and aliases of the transports registered so far. */
export function registeredTransports(): string[] {
  return [...byName.keys()].sort();
}

/**
 * The descriptor of a transport name or alias, loading its package when it is not registered yet:
 * `@zocalo/transport-<name>` (which registers itself when imported, or exports `descriptor`), else the
 * descriptors of the installed `@zocalo/transport-*` packages. Throws a TransportConfigError naming
 * what was looked for.
 */
export async function findTransportDescriptor(name: string): Promise<TransportDescriptor> {
  const known = transportDescriptor(name);
  if (known) return known;
  const plain = plainTransportName(name);
  const pkg = `@zocalo/transport-${plain}`;
  let failure: unknown;
  try {
    const loaded = await importTransportPackage(pkg);
    adoptDescriptor(loaded);
    const found = transportDescriptor(name);
    if (found) return found;
    failure = new Error(`package ${pkg} was loaded but did not register a transport named "${name}"`);
  } catch (error) {
    failure = error;
  }
  // An alias names no package of its own: ask the installed transports what they are called.
  for (const installed of installedTransportPackages()) {
    if (installed === pkg) continue;
    try {
      adoptDescriptor(await importTransportPackage(`${installed}/descriptor`));
    } catch {
      // Not a transport we can describe without loading it: skipped.
    }
  }
  const found = transportDescriptor(name);
  if (found) return found;
  throw new TransportConfigError(
    `unknown transport "${name}": it is not registered and package ${pkg} could not be loaded ` +
      `(${(failure as Error).message}); install it, or call registerTransport(descriptor). ` +
      `Registered: ${registeredTransports().join(', ')}`,
    { cause: failure },
  );
}

/**
 * Create a transport by name or alias: its descriptor's `create(settings)` (see
 * {@link findTransportDescriptor} for names not registered yet).
 */
export async function createTransport(name: string, settings: TransportSettings = {}): Promise<Transport> {
  const descriptor = await findTransportDescriptor(name);
  return descriptor.create(settings);
}

/** Register the `descriptor` a loaded module exports, unless that transport is registered already. */
function adoptDescriptor(loaded: unknown): void {
  const descriptor = (loaded as { descriptor?: TransportDescriptor } | undefined)?.descriptor;
  if (descriptor && typeof descriptor.create === 'function' && !transportDescriptor(descriptor.name)) {
    registerTransport(descriptor);
  }
}

/** `@zocalo/transport-*` packages with a `./descriptor` export, from the working directory up. */
function installedTransportPackages(): string[] {
  const found = new Set<string>();
  for (let dir = resolve(process.cwd()); ; dir = dirname(dir)) {
    const scope = join(dir, 'node_modules', '@zocalo');
    if (existsSync(scope)) {
      for (const entry of readdirSync(scope)) {
        if (!entry.startsWith('transport-')) continue;
        try {
          const manifest = JSON.parse(readFileSync(join(scope, entry, 'package.json'), 'utf8')) as {
            exports?: Record<string, unknown>;
          };
          if (manifest.exports?.['./descriptor'] !== undefined) found.add(`@zocalo/${entry}`);
        } catch {
          // no readable package.json: not a package
        }
      }
    }
    if (dirname(dir) === dir) return [...found];
  }
}

/**
 * Import a transport package. First as this package sees it; then as the application sees it (from
 * the working directory): under strict layouts such as pnpm's, @zocalo/workflows cannot see the
 * transport packages the application installed.
 */
async function importTransportPackage(pkg: string): Promise<unknown> {
  try {
    return await import(pkg);
  } catch (error) {
    let resolved: string;
    try {
      resolved = createRequire(join(process.cwd(), 'package.json')).resolve(pkg);
    } catch {
      throw error;
    }
    return await import(pathToFileURL(resolved).href);
  }
}
