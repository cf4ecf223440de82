/**
 * `zocalo service JSONLines` (the built bin, found by name among installed packages) on ActiveMQ and
 * RabbitMQ: a recipe step sent from this process is written as its line, and the service ends 0 on
 * SIGTERM. The services' own broker tests (packages/mailer, packages/jsonlines) cover the rest.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '@zocalo/transport-amqp';
import '@zocalo/transport-stomp';
import { Recipe, RecipeWrapper } from '@zocalo/recipes';
import type { BrokerKind } from '@zocalo/test-brokers';
import { BROKER_SETTINGS, rabbitManagement, requireBroker, uniqueName } from '@zocalo/test-brokers';
import type { Transport } from '@zocalo/workflows';
import { createTransport } from '@zocalo/workflows';
import { BROKER_FLAGS, startZocalo, until } from './helpers';
import type { RunningZocalo } from './helpers';

describe.each<BrokerKind>(['stomp', 'amqp'])('zocalo service JSONLines on %s', (kind) => {
  const queue = uniqueName(`test.cli-jsonlines-${kind}`);
  let transport: Transport;
  let service: RunningZocalo | undefined;

  beforeAll(async () => {
    await requireBroker(kind);
    transport = await createTransport(kind, BROKER_SETTINGS[kind]);
    await transport.connect();
  });
  afterAll(async () => {
    if (service && service.child.exitCode === null && service.child.signalCode === null)
      service.child.kill('SIGKILL');
    await transport?.disconnect();
    if (kind === 'amqp') {
      await rabbitManagement.deleteQueue(queue).catch(() => false);
      await rabbitManagement.deleteQueue(`dlq.${queue}`).catch(() => false);
    }
  });

  it('writes a recipe step’s message as its line and ends 0 on SIGTERM', async () => {
    const output = join(mkdtempSync(join(tmpdir(), 'zocalo-cli-jsonlines-')), 'out.jsonl');
    service = startZocalo([
      'service',
      'JSONLines',
      ...BROKER_FLAGS[kind],
      '-s',
      `zocalo.jsonlines.queue=${queue}`,
    ]);
    await service.waitFor(/"serviceclass":"JSONLines","msg":"service started"/, 20_000);
    const recipe = new Recipe({
      1: { queue, parameters: { output_filename: output } },
      start: [[1, { kind, n: 1 }]],
    });
    await RecipeWrapper.fromRecipe(recipe, transport).start();
    await until(() => existsSync(output) && readFileSync(output, 'utf8').endsWith('\n'), 20_000);
    expect(readFileSync(output, 'utf8')).toBe(`{"kind": "${kind}", "n": 1}\n`);
    service.child.kill('SIGTERM');
    expect((await service.exited).code).toBe(0);
  });
});
