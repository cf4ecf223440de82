/**
 * JSONLines as `zocalo service JSONLines` makes it (createJsonLines from the site's storage), on memory,
 * ActiveMQ and RabbitMQ: recipe steps' lines land in their file, their messages acknowledged (nothing
 * comes back once the service stops), a file moved away between messages is started anew, and messages
 * it cannot write go to the broker's dead-letter queue while the service goes on.
 */
import '@zocalo/transport-amqp';
import '@zocalo/transport-stomp';
import { existsSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfiguration } from '@zocalo/configuration';
import { Recipe, RecipeWrapper } from '@zocalo/recipes';
import type { SiteOfTest as Site } from '@zocalo/test-brokers';
import {
  SITES,
  deadLetterQueue,
  removeQueues,
  requireBroker,
  siteYaml,
  sleep,
  uniqueName,
  until,
} from '@zocalo/test-brokers';
import type { MessageBody, Transport } from '@zocalo/workflows';
import { RecordingLogger, ServiceRuntime, ServiceState } from '@zocalo/workflows';
import { createJsonLines } from '../src';

describe.each(SITES)('JSONLines on $label', (site: Site) => {
  const opened: Transport[] = [];
  const queues: string[] = [];
  let runtime: ServiceRuntime | undefined;
  let logger: RecordingLogger;
  let dir: string;

  beforeAll(async () => {
    if (site.broker) await requireBroker(site.broker);
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zocalo-jsonlines-'));
  });
  afterEach(async () => {
    await stop();
    for (const transport of opened.splice(0)) await transport.disconnect().catch(() => undefined);
    await removeQueues(site, queues.splice(0));
  });

  const configuration = () => loadConfiguration({ text: siteYaml(site), logger: new RecordingLogger() });

  async function connect(): Promise<Transport> {
    const transport = await configuration().createTransport({ logger: new RecordingLogger() });
    opened.push(transport);
    await transport.connect();
    return transport;
  }

  async function start(queue: string): Promise<void> {
    const config = configuration();
    logger = new RecordingLogger();
    runtime = new ServiceRuntime(createJsonLines({ storage: { 'zocalo.jsonlines.queue': queue } }), {
      transport: await config.createTransport({ logger }),
      logger,
      commandTopic: false,
    });
    void runtime.run().catch(() => undefined);
    await until(() => runtime?.state === ServiceState.IDLE, 15_000, 'JSONLines to start');
  }

  async function stop(): Promise<void> {
    runtime?.stop();
    await runtime?.run().catch(() => undefined);
    runtime = undefined;
  }

  async function send(client: Transport, queue: string, parameters: object, payload: unknown): Promise<void> {
    const recipe = new Recipe({
      1: { service: 'JSONLines', queue, parameters: { ...parameters } },
      start: [[1, payload]],
    });
    await RecipeWrapper.fromRecipe(recipe, client).start();
  }

  const lines = (file: string): string[] =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
      : [];

  it('writes each recipe step’s message as a line, acknowledged; a file moved away is started anew', async () => {
    const queue = uniqueName('test.jsonlines');
    queues.push(queue);
    const client = await connect();
    await start(queue);
    const output = join(dir, 'spots', 'hits.jsonl');
    const parameters = { output_filename: output, exclude: ['image_data'] };
    await send(client, queue, parameters, { image: 1, spots: 12, image_data: 'big' });
    await send(client, queue, parameters, { image: 2, spots: 0.5, note: 'é' });
    await until(() => lines(output).length === 2, 15_000, 'two lines');
    renameSync(output, `${output}.1`);
    await send(client, queue, parameters, { image: 3, spots: null });
    await until(() => lines(output).length === 1, 15_000, 'the line of the new file');
    expect(readFileSync(`${output}.1`, 'utf8')).toBe(
      '{"image": 1, "spots": 12}\n{"image": 2, "spots": 0.5, "note": "\\u00e9"}\n',
    );
    expect(readFileSync(output, 'utf8')).toBe('{"image": 3, "spots": null}\n');

    await stop();
    // An unacknowledged message would come back to the next consumer.
    const again: MessageBody[] = [];
    const id = await client.subscribe(
      queue,
      async (header, message) => {
        again.push(message);
        await client.ack(header);
      },
      { acknowledgement: true },
    );
    await sleep(1000);
    await client.unsubscribe(id);
    expect(again).toEqual([]);
  });

  it('dead-letters a message that is not a recipe message and one without output_filename, and goes on', async () => {
    const queue = uniqueName('test.jsonlines');
    queues.push(queue);
    const client = await connect();
    const dead: MessageBody[] = [];
    await client.subscribe(deadLetterQueue(site, queue), (_header, message) => void dead.push(message));
    await start(queue);
    const output = join(dir, 'after.jsonl');
    await client.send(queue, { output_filename: output, not: 'a recipe message' });
    await send(client, queue, { include: ['a'] }, { a: 1 });
    await send(client, queue, { output_filename: output }, { still: 'working' });
    await until(() => dead.length === 2 && lines(output).length === 1, 15_000, 'two dead letters and a line');
    expect(dead[0]).toEqual({ output_filename: output, not: 'a recipe message' });
    expect((dead[1] as { payload: unknown }).payload).toEqual({ a: 1 });
    expect(lines(output)).toEqual(['{"still": "working"}']);
    // Each reason is logged once its nack has gone, which may be just after the dead letter arrives.
    const reasons = (): string[] =>
      logger.records.map((record) => String((record.fields as { reason?: unknown }).reason));
    await until(
      () =>
        reasons().includes(
          'The input to this service is not a wrapped recipe. Unable to process incoming message',
        ) && reasons().includes('Received message contains no output_filename'),
      5000,
      'both reasons to be logged',
    );

    // Still running (not ERROR nor END): back to IDLE once the last acknowledgement is done.
    await until(() => runtime?.state === ServiceState.IDLE, 5000, 'JSONLines to be idle again');
  });
});
