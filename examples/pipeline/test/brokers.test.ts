/**
 * The same example, unchanged, on memory, ActiveMQ and RabbitMQ: only the site configuration file
 * differs (it makes the transports and the logger), the five services are run by the service runtime,
 * and all three runs must produce the same result, message counts included.
 */
import '@zocalo/transport-amqp';
import '@zocalo/transport-stomp';
import { join } from 'node:path';
import { loadConfiguration } from '@zocalo/configuration';
import { requireBroker, uniqueName } from '@zocalo/test-brokers';
import type { PipelineResult } from '../src/pipeline';
import { runPipeline } from '../src/pipeline';

jest.setTimeout(60_000);

async function runWith(site: string): Promise<PipelineResult> {
  const configuration = loadConfiguration({ file: join(__dirname, '..', 'site', `${site}.yaml`) });
  const logger = configuration.createLogger({ service: 'example-pipeline', level: 'warn', pretty: false });
  return runPipeline({
    transport: () => configuration.createTransport({ logger }),
    prefix: uniqueName(`example.${site}`),
    print: () => undefined,
    logger,
  });
}

/** What must not depend on the broker: every frame's outcome and what the monitor saw. */
function comparable(result: PipelineResult): unknown {
  return { outcomes: result.outcomes, monitored: result.monitored, services: result.services };
}

describe('the example recipe pipeline on every transport', () => {
  beforeAll(async () => {
    await requireBroker('stomp');
    await requireBroker('amqp');
  });

  it('produces the same result on memory, ActiveMQ and RabbitMQ', async () => {
    const memory = await runWith('memory');
    const activemq = await runWith('activemq');
    const rabbitmq = await runWith('rabbitmq');
    expect(memory.outcomes).toHaveLength(5);
    expect(memory.services.map((service) => [service.name, service.state, service.messagesFailed])).toEqual(
      ['Find spots', 'Index', 'Monitor', 'Skip', 'Collect'].map((name) => [name, 'shutdown', 0]),
    );
    expect(memory.services[0].messagesIn).toBe(5);
    expect(comparable(activemq)).toEqual(comparable(memory));
    expect(comparable(rabbitmq)).toEqual(comparable(memory));
    expect(new Set([memory.recipeId, activemq.recipeId, rabbitmq.recipeId]).size).toBe(3);
  });
});
