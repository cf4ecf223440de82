/**
 * The services view on both real brokers, in headless Chromium: services appear as they start and
 * fade then drop as they stop, without a reload.
 */
import { AmqpTransport } from '@zocalo/transport-amqp';
import { StompTransport } from '@zocalo/transport-stomp';
import type { BrokerKind } from '@zocalo/test-brokers';
import { BROKER_SETTINGS, requireBroker, uniqueName } from '@zocalo/test-brokers';
import type { Transport } from '@zocalo/workflows';
import { RecordingLogger, ServiceRuntime, defineService } from '@zocalo/workflows';
import type { Dashboard } from '../src';
import { startDashboard } from '../src';
import type { TestBrowser } from './browser';
import { launchBrowser, screenshot } from './browser';

const logger = new RecordingLogger();
jest.setTimeout(30_000);

function transportFor(kind: BrokerKind): Transport {
  return kind === 'stomp'
    ? new StompTransport({ ...BROKER_SETTINGS.stomp, logger })
    : new AmqpTransport({ ...BROKER_SETTINGS.amqp, logger });
}

let browser: TestBrowser;

beforeAll(async () => {
  await requireBroker('stomp');
  await requireBroker('amqp');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

describe.each(['stomp', 'amqp'] as const)('on %s', (kind) => {
  let client: Transport;
  let dashboard: Dashboard | undefined;

  beforeEach(async () => {
    client = transportFor(kind);
    await client.connect();
  });

  afterEach(async () => {
    await dashboard?.close();
    dashboard = undefined;
    await client.disconnect();
  });

  test('services appear as they start and fade then drop as they stop', async () => {
    dashboard = await startDashboard({
      transport: client,
      logger,
      port: 0,
      fadeAfter: 1.5,
      dropAfter: 3,
      pushInterval: 200,
    });
    const page = await browser.newPage();
    await page.goto(dashboard.url);
    await page.waitForSelector('#live.on');
    // Unique names: other services on the shared brokers broadcast their status too.
    const name = uniqueName(`Dash${kind}`);
    const runtimes = ['one', 'two'].map((host) => {
      const runtime = new ServiceRuntime(defineService({ name }), {
        transport: transportFor(kind),
        logger,
        hostId: `${name}-${host}`,
        statusInterval: 0.5,
        idleDelay: 0,
        commandTopic: false,
        signals: false,
      });
      void runtime.run();
      return runtime;
    });
    const group = `.group[data-service="${name}"]`;
    try {
      await page.waitForFunction(
        (selector) => document.querySelectorAll(`${selector} tr.instance`).length === 2,
        group,
        {
          timeout: 10_000,
        },
      );
      await page.waitForFunction(
        (selector) => /2 · 2 idle/.test(document.querySelector(`${selector} h2`)?.textContent ?? ''),
        group,
        { timeout: 5000 },
      );
      await page.locator(group).scrollIntoViewIfNeeded();
      await screenshot(page, `services-${kind}`);
      runtimes[0].stop();
      await runtimes[0].run();
      await page.waitForSelector(`${group} tr.instance.gone[data-host="${name}-one"]`, { timeout: 6000 });
      await page.waitForFunction(
        (selector) => document.querySelectorAll(`${selector} tr.instance`).length === 1,
        group,
        {
          timeout: 6000,
        },
      );
      runtimes[1].stop();
      await runtimes[1].run();
      await page.waitForFunction((selector) => !document.querySelector(selector), group, { timeout: 8000 });
    } finally {
      for (const runtime of runtimes) runtime.stop();
      await Promise.all(runtimes.map((runtime) => runtime.run().catch(() => undefined)));
      await page.close();
    }
  });
});
