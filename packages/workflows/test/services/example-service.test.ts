// The example of docs/writing-a-service.md and the README, run on the memory transport.
import { until } from '@zocalo/test-brokers';
import type { ServiceContext } from '../../src';
import {
  COMMAND_TOPIC,
  MemoryBroker,
  MemoryTransport,
  RecordingLogger,
  Service,
  runService,
} from '../../src';

class Doubler extends Service {
  readonly name = 'Doubler';
  private handled = 0;

  override async initializing(ctx: ServiceContext): Promise<void> {
    await ctx.subscribe('doubler', async (msg) => {
      const value = (msg.message as { value?: unknown } | null)?.value;
      if (typeof value !== 'number') return msg.reject('expected {"value": <number>}');
      await msg.send('doubled', { value: value * 2 }); // sent when the input's ack commits
      this.handled++;
    });
    ctx.timer(60, () => ctx.logger.info({ handled: this.handled }, 'still here'));
  }

  override async inShutdown(ctx: ServiceContext): Promise<void> {
    ctx.logger.info({ handled: this.handled }, 'bye');
  }
}

test('the documented example service doubles, rejects, and stops on a shutdown command', async () => {
  const broker = new MemoryBroker();
  const transport = new MemoryTransport({ broker });
  const client = new MemoryTransport({ broker });
  await client.connect();
  const logger = new RecordingLogger();
  const running = runService(new Doubler(), { transport, logger, hostId: 'org.example.host.1' });

  await client.send('doubler', { value: 21 });
  await client.send('doubler', 'nonsense');
  await until(() => broker.stats('doubled').depth === 1 && broker.stats('DLQ.doubler').depth === 1);
  await client.broadcast(COMMAND_TOPIC, { command: 'shutdown', service: 'Doubler' });
  await running;

  expect(
    broker
      .queue('doubled')
      .takeAll()
      .map((message) => JSON.parse(String(message.body))),
  ).toEqual([{ value: 42 }]);
  expect(logger.find((record) => record.msg === 'bye')?.fields).toMatchObject({
    handled: 1,
    service: 'Doubler',
    host: 'org.example.host.1',
  });
  await client.disconnect();
});
