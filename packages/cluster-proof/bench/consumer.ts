/**
 * One competing consumer process of the scaling benchmark: connects, waits for `go`, then consumes the
 * queue with acknowledgement, 1 ms of simulated (waiting, not CPU) work per message, reporting each
 * message to the parent over IPC. Usage (forked by scaling.bench.ts): consumer.ts <kind> <settings-json>
 * <queue> <prefetch>
 */
import { AmqpTransport } from '@zocalo/transport-amqp';
import { StompTransport } from '@zocalo/transport-stomp';
import type { Transport } from '@zocalo/workflows';

const [kind, settingsJson, queue, prefetchText] = process.argv.slice(2);
const settings = JSON.parse(settingsJson) as Record<string, string | number>;
const transport: Transport = kind === 'amqp' ? new AmqpTransport(settings) : new StompTransport(settings);
const work = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

async function main(): Promise<void> {
  await transport.connect();
  process.on('message', (message: string) => {
    if (message === 'go') {
      void transport.subscribe(
        queue,
        async (header) => {
          await work();
          await transport.ack(header);
          process.send?.('m');
        },
        { acknowledgement: true, prefetch: Number(prefetchText) },
      );
    } else if (message === 'stop') {
      void transport.disconnect().finally(() => process.exit(0));
    }
  });
  process.send?.('ready');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
