/**
 * Load the site configuration, log with it, and send a message through its transport.
 *
 *   npx tsx example/site.ts                                    # this package's test site file, environment "memory"
 *   ZOCALO_CONFIG=/etc/zocalo/site.yml npx tsx example/site.ts --test --stomp-host broker2
 */
import { fileURLToPath } from 'node:url';
import { ConfigurationError, closeLogger, environmentsFromFlags, loadConfiguration } from '../src';

/** `--name value` and `--name` flags, as an argument parser would give them. */
function parseFlags(argv: readonly string[]): Record<string, string | boolean> {
  const flags: Record<string, string | boolean> = {};
  argv.forEach((arg, index) => {
    if (!arg.startsWith('-')) return;
    const next = argv[index + 1];
    flags[arg] = next !== undefined && !next.startsWith('-') ? next : true;
  });
  return flags;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const file =
    process.env.ZOCALO_CONFIG ?? fileURLToPath(new URL('../test/fixtures/site/main.yml', import.meta.url));
  const environment = environmentsFromFlags(flags);
  const configuration = loadConfiguration({
    file,
    environment: environment.length > 0 ? environment : process.env.ZOCALO_CONFIG ? undefined : 'memory',
  }).withFlags(flags);

  const logger = configuration.createLogger({ service: 'example', asDefault: true });
  logger.info({ configuration }, `loaded ${String(configuration)}`); // passwords show as [redacted]

  const transport = await configuration.createTransport();
  await transport.connect();
  try {
    const done = new Promise<void>((resolve) => {
      void transport.subscribe('example', (_header, message) => {
        logger.child({ recipeId: 'example-recipe' }).info({ message }, 'received');
        resolve();
      });
    });
    await transport.send('example', { hello: 'zocalo' });
    await done;
  } finally {
    await transport.disconnect();
    await closeLogger(logger);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigurationError ? error.message : String((error as Error).stack ?? error)}\n`,
  );
  process.exitCode = error instanceof ConfigurationError ? 2 : 1;
});
