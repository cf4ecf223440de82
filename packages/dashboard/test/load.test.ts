/**
 * The page with 100 services reporting (memory transport, one status broadcast per instance a
 * second): how long until the page shows all of them, and the memory it and the server take. The
 * figures go to docs/operations.md; the bounds here only catch a regression by an order of magnitude.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryBroker, MemoryTransport, RecordingLogger, STATUS_TOPIC } from '@zocalo/workflows';
import { startDashboard } from '../src';
import { SCREENSHOTS, launchBrowser, screenshot } from './browser';

jest.setTimeout(30_000);

test('100 services: the page shows them all quickly, in bounded memory', async () => {
  const logger = new RecordingLogger();
  const client = new MemoryTransport({ broker: new MemoryBroker(), logger });
  await client.connect();
  const rssBefore = process.memoryUsage().rss;
  const dashboard = await startDashboard({ transport: client, logger, port: 0 });
  const browser = await launchBrowser();
  const broadcast = (): Promise<void[]> =>
    Promise.all(
      Array.from({ length: 100 }, (_, n) =>
        client.broadcast(STATUS_TOPIC, {
          host: `node-${String(n).padStart(3, '0')}`,
          service: `Service ${n % 10}`,
          status: n % 7 === 0 ? 4 : 2,
          statustext: n % 7 === 0 ? 'processing' : 'idle',
          utilization: { 2: 0.5 + (n % 5) / 10, 4: 0.5 - (n % 5) / 10 },
          workflows: '0.1.0',
          tag: `beamline-${n % 3}`,
        }),
      ),
    );
  await broadcast();
  const timer = setInterval(() => void broadcast(), 1000);
  try {
    const page = await browser.newPage();
    const started = Date.now();
    await page.goto(dashboard.url);
    await page.waitForFunction(() => document.querySelectorAll('tr.instance').length === 100);
    const loadMs = Date.now() - started;
    // A few pushes of the whole view, as it runs.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const heap = await page.evaluate(
      () => (performance as unknown as { memory: { usedJSHeapSize: number } }).memory.usedJSHeapSize,
    );
    const serverRss = process.memoryUsage().rss;
    const figures = {
      services: 100,
      loadMs,
      pageHeapMB: Math.round((heap / 1024 / 1024) * 10) / 10,
      serverHeapUsedMB: Math.round((process.memoryUsage().heapUsed / 1024 / 1024) * 10) / 10,
      testProcessRssMB: Math.round(serverRss / 1024 / 1024),
      testProcessRssGrowthMB: Math.round((serverRss - rssBefore) / 1024 / 1024),
    };
    mkdirSync(SCREENSHOTS, { recursive: true });
    writeFileSync(join(SCREENSHOTS, 'load-100-services.json'), `${JSON.stringify(figures, null, 2)}\n`);
    process.stdout.write(`dashboard with 100 services: ${JSON.stringify(figures)}\n`);
    await screenshot(page, 'services-100');
    expect(loadMs).toBeLessThan(5000);
    expect(heap).toBeLessThan(50 * 1024 * 1024);
    await page.close();
  } finally {
    clearInterval(timer);
    await browser.close();
    await dashboard.close();
    await client.disconnect();
  }
});
