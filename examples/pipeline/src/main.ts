/**
 * The main job: `pnpm example` runs it on the embedded memory transport. Pick a broker by
 * configuration only: `ZOCALO_CONFIG=examples/pipeline/site/rabbitmq.yaml pnpm example` (or
 * `activemq.yaml`), or `ZOCALO_TRANSPORT=amqp|stomp` with the default broker settings.
 * `ZOCALO_DASHBOARD=8880` also serves the live dashboard (@zocalo/dashboard) in this process — on the
 * embedded transport too — and keeps it up after the job until Ctrl+C.
 */
import '@zocalo/transport-amqp';
import '@zocalo/transport-stomp';
import { createLogger, loadConfiguration } from '@zocalo/configuration';
import type { Logger } from '@zocalo/workflows';
import { createTransport } from '@zocalo/workflows';
import { runPipeline } from './pipeline';

/** The hops are the output; the services log only warnings and errors unless ZOCALO_LOG_LEVEL says. */
const LOG_LEVEL = process.env.ZOCALO_LOG_LEVEL ?? 'warn';

async function main(): Promise<void> {
  let make: () => ReturnType<typeof createTransport>;
  let logger: Logger;
  if (process.env.ZOCALO_CONFIG || process.env.ZOCALO_TRANSPORT) {
    // loadConfiguration reads both: the file's settings, the variable's choice of transport.
    const configuration = loadConfiguration();
    logger = configuration.createLogger({ service: 'example-pipeline', level: LOG_LEVEL });
    make = () => configuration.createTransport({ logger });
  } else {
    // Unlike the zocalo command (python-workflows' stomp), the example defaults to the embedded broker.
    logger = createLogger({ service: 'example-pipeline', level: LOG_LEVEL });
    make = () => createTransport('memory', { logger });
  }
  const port = process.env.ZOCALO_DASHBOARD;
  if (port === undefined || port === '') {
    await runPipeline({ transport: make, logger });
    return;
  }
  const { startDashboard } = await import('@zocalo/dashboard');
  const watcher = await make();
  await watcher.connect();
  const dashboard = await startDashboard({ transport: watcher, port: Number(port), logger });
  console.log(`dashboard on ${dashboard.url} (Ctrl+C ends it)`);
  try {
    await runPipeline({ transport: make, logger });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  } finally {
    await dashboard.close();
    await watcher.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(`pipeline failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
