/**
 * The queues and dead-letters views on both real brokers, in headless Chromium: a queue's depth rises
 * as messages are sent (and, without consumers, it stands out); a poison message a real service
 * rejects shows up in its DLQ, is purged to a file from a button (`dlqPurge`), shown with its headers
 * and history, and reinjected from a button (`dlqReinject`) to the fixed service, which consumes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RabbitManagement } from '@zocalo/rabbitmq-management';
import { Jolokia } from '@zocalo/schlockmeister';
import type { BrokerKind } from '@zocalo/test-brokers';
import {
  BROKERS,
  BROKER_SETTINGS,
  rabbitManagement,
  requireBroker,
  requireJolokia,
  uniqueName,
} from '@zocalo/test-brokers';
import { AmqpTransport } from '@zocalo/transport-amqp';
import { StompTransport } from '@zocalo/transport-stomp';
import type { ReceivedHeaders, Transport } from '@zocalo/workflows';
import { RecordingLogger, ServiceRuntime, defineService } from '@zocalo/workflows';
import type { Dashboard } from '../src';
import { activemqBrokerView, rabbitBrokerView, startDashboard } from '../src';
import type { TestBrowser } from './browser';
import { launchBrowser, screenshot } from './browser';

jest.setTimeout(60_000);
const logger = new RecordingLogger();

function transportFor(kind: BrokerKind): Transport {
  return kind === 'stomp'
    ? new StompTransport({ ...BROKER_SETTINGS.stomp, logger })
    : new AmqpTransport({ ...BROKER_SETTINGS.amqp, logger });
}

function brokerViewFor(kind: BrokerKind) {
  return kind === 'stomp'
    ? activemqBrokerView(
        new Jolokia({
          url: BROKERS.jolokia.url,
          username: BROKERS.jolokia.user,
          password: BROKERS.jolokia.pass,
        }),
      )
    : rabbitBrokerView(
        new RabbitManagement({
          url: BROKERS.management.url,
          username: BROKERS.management.user,
          password: BROKERS.management.pass,
        }),
      );
}

let browser: TestBrowser;

beforeAll(async () => {
  await requireBroker('stomp');
  await requireBroker('amqp');
  await requireJolokia();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe.each(['stomp', 'amqp'] as const)('on %s', (kind) => {
  test('queue depth rises; a poison message is purged from its DLQ and reinjected from buttons', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'zocalo-dashboard-dlq-'));
    const client = transportFor(kind);
    await client.connect();
    const queue = uniqueName(`dash.${kind}`);
    const dlq = `${kind === 'stomp' ? 'DLQ.' : 'dlq.'}${queue}`;
    let dashboard: Dashboard | undefined;
    let runtime: ServiceRuntime | undefined;
    const page = await browser.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    try {
      dashboard = await startDashboard({
        transport: client,
        logger,
        port: 0,
        broker: brokerViewFor(kind),
        purgeDirectory: directory,
        queueInterval: 0.5,
        pushInterval: 200,
      });
      // The queue exists, without a consumer: its depth rises as messages are sent. (ActiveMQ makes
      // it on the first send; RabbitMQ's is declared by a subscription.)
      if (kind === 'amqp') await client.unsubscribe(await client.subscribe(queue, () => undefined));
      await page.goto(`${dashboard.url}#queues`);
      await page.fill('#queue-filter', queue);
      for (let n = 1; n <= 3; n += 1) await client.send(queue, { n });
      const row = `tr.queue[data-queue="${queue}"]`;
      // RabbitMQ's management counts lag up to 5 s.
      await page.waitForFunction(
        (selector) => document.querySelector(`${selector} td.depth`)?.textContent === '3',
        row,
        {
          timeout: 15_000,
        },
      );
      expect(await page.locator(row).getAttribute('class')).toContain('alert');
      expect(await page.locator(`${row} td.why`).textContent()).toContain('no consumers');
      await screenshot(page, `queues-${kind}`);

      // A real service that rejects the poison message (until it is fixed) and consumes the rest.
      let fixed = false;
      const consumed: Array<{ message: unknown; header: ReceivedHeaders }> = [];
      runtime = new ServiceRuntime(
        defineService({
          name: uniqueName('Poisoned'),
          async initializing(ctx) {
            await ctx.subscribe(queue, async (msg) => {
              const body = msg.message as { poison?: boolean };
              if (body.poison && !fixed) return msg.reject('poison');
              consumed.push({ message: msg.message, header: msg.header });
            });
          },
        }),
        { transport: transportFor(kind), logger, commandTopic: false, signals: false, statusInterval: 1 },
      );
      void runtime.run();
      await client.send(queue, { poison: true, payload: '<script>window.__pwned=1</script>' });
      await waitFor(() => consumed.length === 3, 10_000, 'the service to consume the 3 good messages');

      await page.goto(`${dashboard.url}#dlq`);
      const dlqRow = `tr.dlq[data-queue="${dlq}"]`;
      await page.waitForSelector(`${dlqRow} td.count`, { timeout: 15_000 });
      expect(await page.locator(`${dlqRow} td.count`).textContent()).toBe('1');
      await page.click(`${dlqRow} button.purge`);
      const card = page.locator('.saved').filter({ hasText: dlq });
      await card.waitFor({ timeout: 10_000 });
      expect(await card.locator('pre.body').textContent()).toContain('"poison": true');
      expect(await card.locator('pre.body').textContent()).toContain('<script>window.__pwned=1</script>');
      if (kind === 'amqp') expect(await card.locator('table.deaths').textContent()).toContain('rejected');
      await screenshot(page, `dlq-${kind}`);

      fixed = true;
      await card.locator('button.reinject-one').click();
      await waitFor(
        () => consumed.length === 4,
        10_000,
        'the fixed service to consume the reinjected message',
      );
      expect(consumed[3].message).toMatchObject({ poison: true });
      expect(String(consumed[3].header['dlq-reinjected'])).toMatch(/true/i);
      await page.waitForSelector('#dlq-notice:not([hidden])');
      expect(await page.textContent('#dlq-notice')).toContain(`reinjected 1 message(s) to ${queue}`);
      await page.waitForFunction(() => !document.querySelector('.saved'), undefined, { timeout: 5000 });
      expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(logger.records.some((record) => /purged 1 message/.test(record.msg))).toBe(true);
    } finally {
      runtime?.stop();
      await runtime?.run().catch(() => undefined);
      await page.close();
      await dashboard?.close();
      await client.disconnect();
      rmSync(directory, { recursive: true, force: true });
      // RabbitMQ keeps declared queues: leave none behind on the shared broker.
      if (kind === 'amqp')
        for (const name of [queue, dlq]) await rabbitManagement.deleteQueue(name).catch(() => false);
    }
  });
});

async function waitFor(predicate: () => boolean, timeout: number, what: string): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
