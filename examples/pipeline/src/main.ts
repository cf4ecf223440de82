/**
 * The main job: `pnpm example` runs it on the embedded memory transport. Pick a broker by
 * configuration only: `ZOCALO_CONFIG=examples/pipeline/site/rabbitmq.yaml pnpm example` (or
 * `activemq.yaml`), or `ZOCALO_TRANSPORT=amqp|stomp` with the default broker settings.
 */
import '@zocalo/transport-amqp';
import '@zocalo/transport-stomp';
import { loadConfiguration } from '@zocalo/configuration';
import { createTransport } from '@zocalo/workflows';
import { runPipeline } from './pipeline';

async function main(): Promise<void> {
  let make: () => ReturnType<typeof createTransport>;
  if (process.env.ZOCALO_CONFIG) {
    const configuration = await loadConfiguration();
    make = () => configuration.createTransport();
  } else {
    const name = process.env.ZOCALO_TRANSPORT ?? 'memory';
    make = () => createTransport(name);
  }
  await runPipeline({ transport: make });
}

main().catch((error: unknown) => {
  console.error(`pipeline failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
