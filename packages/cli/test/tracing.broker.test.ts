/**
 * `zocalo service` and `zocalo wrap` switch tracing on from the site configuration's `opentelemetry`
 * block (#18), as python-workflows' plugin does: a real Dispatcher process continues the trace of the
 * request it gets, passes it on in the headers of what it sends, and exports its spans to a real
 * OTLP/HTTP receiver; its log records while it handles the message carry the trace and span ids. A
 * wrapper's sends are spans of their own under the wrapper's name. On RabbitMQ (the tracing package
 * proves both brokers; this proves the commands).
 */
import '@zocalo/transport-amqp';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReceivedSpan } from '@zocalo/test-brokers';
import {
  BROKER_SETTINGS,
  OtlpReceiver,
  rabbitManagement,
  requireBroker,
  uniqueName,
} from '@zocalo/test-brokers';
import type { MessageBody, ReceivedHeaders, Transport } from '@zocalo/workflows';
import { createTransport } from '@zocalo/workflows';
import type { RunningZocalo } from './helpers';
import { startZocalo, tempDirectory, until, zocalo } from './helpers';

jest.setTimeout(60_000);

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('tracing from the opentelemetry block of the site configuration', () => {
  let receiver: OtlpReceiver;
  let client: Transport;
  let dispatcher: RunningZocalo | undefined;
  const queues = {
    dispatcher: uniqueName('zocalo.trace.dispatch'),
    step: uniqueName('zocalo.trace.step'),
    done: uniqueName('zocalo.trace.done'),
  };
  let dir: string;
  let site: string;

  beforeAll(async () => {
    await requireBroker('amqp');
    receiver = await OtlpReceiver.start();
    dir = tempDirectory();
    mkdirSync(join(dir, 'recipes'));
    writeFileSync(
      join(dir, 'recipes', 'traced.json'),
      JSON.stringify({
        '1': { queue: queues.step, output: { success: 2 } },
        '2': { queue: queues.done },
        start: [[1, {}]],
      }),
    );
    const port = new URL(receiver.endpoint).port;
    site = join(dir, 'site.yaml');
    writeFileSync(
      site,
      [
        'version: 1',
        'rabbit: {plugin: pika, host: 127.0.0.1, port: 5672, username: guest, password: guest, vhost: /}',
        `otel: {plugin: opentelemetry, host: 127.0.0.1, port: ${port}, scheme: http, timeout: 5}`,
        `storage: {plugin: storage, zocalo.recipe_directory: ${join(dir, 'recipes')}, zocalo.dispatcher.queue: ${queues.dispatcher}}`,
        'environments: {default: [rabbit, otel, storage]}',
      ].join('\n'),
    );
    client = await createTransport('amqp', { ...BROKER_SETTINGS.amqp });
    await client.connect();
  });

  afterAll(async () => {
    dispatcher?.child.kill('SIGKILL');
    await client?.disconnect();
    await receiver?.close();
    for (const queue of Object.values(queues)) await rabbitManagement.deleteQueue(queue).catch(() => false);
  });

  const spans = (predicate: (span: ReceivedSpan) => boolean): ReceivedSpan[] =>
    receiver.spans.filter(predicate);

  it('zocalo service: the Dispatcher continues the request trace, passes it on and logs its ids', async () => {
    dispatcher = startZocalo(['service', 'Dispatcher', '--config', site], {
      env: { ZOCALO_LOG_LEVEL: 'debug' },
    });
    await dispatcher.waitFor(/"msg":"service started"/);
    const received: Array<{ header: ReceivedHeaders; message: MessageBody }> = [];
    await client.subscribe(queues.step, (header, message) => void received.push({ header, message }));
    await client.send(
      queues.dispatcher,
      { recipes: ['traced'], parameters: {} },
      {
        headers: { traceparent: `00-${TRACE_ID}-${PARENT}-01` },
      },
    );
    await until(() => received.length === 1, 20_000);
    // Passed on in the header, as Python's propagator writes it: same trace, a span of the Dispatcher.
    expect(String(received[0].header.traceparent)).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-01$`));
    await receiver.waitFor(
      () => spans((span) => span.traceId === TRACE_ID && span.name === 'transport.send').length > 0,
    );
    const [handled] = spans((span) => span.traceId === TRACE_ID && span.name === 'transport.subscribe');
    expect(handled).toMatchObject({
      parentSpanId: PARENT,
      resourceServiceName: 'Dispatcher',
      attributes: expect.objectContaining({ service_name: 'Dispatcher', channel: queues.dispatcher }),
    });
    const [sent] = spans((span) => span.traceId === TRACE_ID && span.name === 'transport.send');
    expect(sent).toMatchObject({
      parentSpanId: handled.spanId,
      attributes: expect.objectContaining({ destination: queues.step, service_name: 'Dispatcher' }),
    });
    // The same ids in the log records written while the message was handled.
    const records = dispatcher
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{') && line.includes(TRACE_ID))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(0);
    expect(records[0]).toMatchObject({
      trace_id: TRACE_ID,
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
  });

  it('zocalo wrap: the wrapper sends its result in a span of its own, named by the wrapper', async () => {
    const envelope = {
      recipe: {
        '1': { queue: queues.step, parameters: { seconds: 0 }, output: { success: 2 } },
        '2': { queue: queues.done },
        start: [[1, {}]],
      },
      'recipe-pointer': 1,
      'recipe-path': [],
      environment: { ID: 'trace-wrap-1' },
      payload: {},
    };
    const file = join(dir, 'step.json');
    writeFileSync(file, JSON.stringify(envelope));
    const done: MessageBody[] = [];
    await client.subscribe(queues.done, (_header, message) => void done.push(message));
    const run = await zocalo(['wrap', '--wrap', 'dummy', '--recipewrapper', file, '--config', site]);
    expect({
      code: run.code,
      stderr: run.stderr.split('\n').filter((line) => line.startsWith('zocalo')),
    }).toEqual({
      code: 0,
      stderr: [],
    });
    await receiver.waitFor(
      () =>
        spans((span) => span.resourceServiceName === 'dummy' && span.name === 'transport.send').length > 0,
    );
    const sends = spans((span) => span.resourceServiceName === 'dummy' && span.name === 'transport.send');
    expect(sends.map((span) => span.attributes.destination)).toContain(queues.done);
    expect(sends.every((span) => span.attributes.service_name === 'dummy')).toBe(true);
    await until(() => done.length === 1);
  });
});
