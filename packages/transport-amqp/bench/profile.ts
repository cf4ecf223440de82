/**
 * Profiling helper (not a benchmark): drives one path of the transport hard, for `node --cpu-prof`.
 *   node --conditions=@zocalo/source --import tsx --cpu-prof bench/profile.ts MODE [count]
 * MODE: publish, rawpublish (amqplib alone, for comparison), consume, pipeline. Prints client CPU per message.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'amqplib';
import type { Logger, ReceivedHeaders } from '@zocalo/workflows';
import { AmqpTransport } from '../src';

const mode = process.argv[2] ?? 'pipeline';
const COUNT = Number(process.argv[3] ?? 50_000);
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const body = (n: number): Record<string, unknown> => ({
  recipe: { '1': { service: 'bench', queue: 'bench.step' } },
  'recipe-pointer': 1,
  'recipe-path': [],
  environment: { ID: '5f3c9a4e-0d1b-4c8e-9a57-2b7e51c0d9aa' },
  payload: { n, file: '/dls/i03/data/2024/cm1234-5/image_00001.cbf' },
});

function pump(count: number, window: number, send: (i: number) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let settled = 0;
    const launch = (): void => {
      while (next < count && next - settled < window) {
        send(next++).then(() => {
          if (++settled === count) resolve();
          else launch();
        }, reject);
      }
    };
    launch();
  });
}

async function main(): Promise<void> {
  const admin = await connect('amqp://guest:guest@127.0.0.1:5672');
  const channel = await admin.createChannel();
  const queue = `zocalo.profile.${randomUUID().slice(0, 8)}`;
  await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  const transport = new AmqpTransport({ host: '127.0.0.1', logger: silent });
  await transport.connect();
  const consume = async (): Promise<void> => {
    let seen = 0;
    await new Promise<void>((resolve) => {
      void transport.subscribe(
        queue,
        (header: ReceivedHeaders) => {
          void transport.ack(header);
          if (++seen === COUNT) resolve();
        },
        { acknowledgement: true, prefetch: 100 },
      );
    });
  };
  const producer = await connect('amqp://guest:guest@127.0.0.1:5672', { noDelay: true });
  const confirm = await producer.createConfirmChannel();
  const rawPublish = (message: unknown): Promise<void> =>
    new Promise((resolve, reject) => {
      confirm.publish(
        '',
        queue,
        Buffer.from(JSON.stringify(message)),
        { deliveryMode: 2, mandatory: true },
        (error: unknown) => (error ? reject(error as Error) : resolve()),
      );
    });
  // Warm up both paths first.
  await pump(2000, 1000, (i) => transport.send(queue, body(i)));
  await pump(2000, 1000, (i) => rawPublish(body(i)));
  await channel.purgeQueue(queue);
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  if (mode === 'rawpublish') await pump(COUNT, 1000, (i) => rawPublish(body(i)));
  else if (mode === 'publish') await pump(COUNT, 1000, (i) => transport.send(queue, body(i)));
  else if (mode === 'consume') {
    await pump(COUNT, 1000, (i) => transport.send(queue, body(i)));
    const c = process.cpuUsage();
    await consume();
    const used = process.cpuUsage(c);
    console.log(`consume only: ${((used.user + used.system) / COUNT).toFixed(1)} µs/msg`);
  } else await Promise.all([consume(), pump(COUNT, 1000, (i) => transport.send(queue, body(i)))]);
  const used = process.cpuUsage(cpu);
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(
    `${mode}: ${Math.round(COUNT / s)}/s, ${((used.user + used.system) / COUNT).toFixed(1)} µs/msg`,
  );
  await producer.close();
  await transport.disconnect();
  await channel.deleteQueue(queue);
  await admin.close();
}

void main();
