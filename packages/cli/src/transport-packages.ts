/**
 * The command line is the application, so it brings the broker transports with it: before a
 * transport is created by name, its package is imported from here (`@zocalo/transport-stomp`,
 * `@zocalo/transport-amqp`), where the command line's own dependencies resolve, and registers
 * itself. A name that is already registered (`memory`, or one a plugin registered) needs nothing.
 */
import { registeredTransports } from '@zocalo/workflows';
import { CliError, EXIT_FAILURE, EXIT_USAGE, oneLine } from './cli-error';

/** Packages providing the transports the registry knows by these names. */
export const TRANSPORT_PACKAGES: Readonly<Record<string, string>> = {
  stomp: '@zocalo/transport-stomp',
  amqp: '@zocalo/transport-amqp',
  pika: '@zocalo/transport-amqp',
};

/**
 * Import the package of transport `name` unless it is registered. Throws a {@link CliError}: for a
 * name no installed package provides (bad input), or for a package that is there but fails to load.
 */
export async function loadTransportPackage(name: string): Promise<void> {
  if (registeredTransports().includes(name)) return;
  const pkg = TRANSPORT_PACKAGES[name] ?? `@zocalo/transport-${name}`;
  try {
    await import(pkg);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing =
      (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && oneLine(error).includes(`'${pkg}'`);
    if (missing) {
      throw new CliError(
        `unknown transport "${name}": no installed package provides it (looked for ${pkg}); known: ${[
          ...new Set([...registeredTransports(), ...Object.keys(TRANSPORT_PACKAGES)]),
        ]
          .sort()
          .join(', ')}`,
        EXIT_USAGE,
        { cause: error },
      );
    }
    throw new CliError(`the ${name} transport (${pkg}) failed to load: ${oneLine(error)}`, EXIT_FAILURE, {
      cause: error,
    });
  }
  if (!registeredTransports().includes(name)) {
    throw new CliError(`${pkg} was loaded but did not register a transport named "${name}"`, EXIT_FAILURE);
  }
}
