/**
 * The page in headless Chromium on the embedded (memory) transport: services appear as they start and
 * fade then drop as they stop, live without a reload; a hostile service name renders as text; the
 * token guard beyond loopback.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceDefinition } from '@zocalo/workflows';
import {
  MemoryBroker,
  MemoryTransport,
  RecordingLogger,
  STATUS_TOPIC,
  ServiceRuntime,
  defineService,
} from '@zocalo/workflows';
import type { BrokerView, Dashboard } from '../src';
import { BODY_LIMIT, DashboardConfigurationError, startDashboard } from '../src';
import type { TestBrowser } from './browser';
import { launchBrowser, screenshot } from './browser';

const logger = new RecordingLogger();
jest.setTimeout(30_000);
let browser: TestBrowser;
let broker: MemoryBroker;
let client: MemoryTransport;
let dashboard: Dashboard | undefined;
const runtimes: ServiceRuntime[] = [];

function start(service: ServiceDefinition, host: string): ServiceRuntime {
  const runtime = new ServiceRuntime(service, {
    transport: new MemoryTransport({ broker, logger }),
    logger,
    hostId: host,
    statusInterval: 0.3,
    idleDelay: 0,
    commandTopic: false,
    signals: false,
    statusFields: { tag: 'beamline-i03', cluster_SLURM_JOB_ID: '4711' },
  });
  runtimes.push(runtime);
  void runtime.run();
  return runtime;
}

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  broker = new MemoryBroker();
  client = new MemoryTransport({ broker, logger });
  await client.connect();
});

afterEach(async () => {
  for (const runtime of runtimes) runtime.stop();
  await Promise.all(runtimes.map((runtime) => runtime.run().catch(() => undefined)));
  runtimes.length = 0;
  await dashboard?.close();
  dashboard = undefined;
  await client?.disconnect();
});

test('services appear live, grouped with counts, and fade then drop when they stop', async () => {
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
  expect(await page.textContent('#services-summary')).toMatch(/No service status/);

  const a = start(defineService({ name: 'SpotFinder' }), 'host-a');
  start(defineService({ name: 'SpotFinder' }), 'host-b');
  start(defineService({ name: 'Collector' }), 'host-c');
  // No reload: the live channel brings them.
  await page.waitForFunction(() => document.querySelectorAll('tr.instance').length === 3);
  expect(await page.textContent('#services-summary')).toBe('3 instances of 2 services');
  const group = page.locator('.group[data-service="SpotFinder"] h2');
  await expect(group.textContent()).resolves.toMatch(/SpotFinder2 · 2 idle/);
  const row = page.locator('tr.instance[data-host="host-a"]');
  expect(await row.locator('.state').textContent()).toBe('idle');
  expect(await row.locator('.state').getAttribute('class')).toContain('state-idle');
  expect(await row.textContent()).toContain('beamline-i03');
  expect(await row.textContent()).toContain('4711');
  await page.waitForFunction(() =>
    document.querySelector('tr.instance svg.spark polyline')?.getAttribute('points')?.includes(' '),
  );
  await screenshot(page, 'services-memory');

  a.stop();
  await a.run();
  await page.waitForSelector('tr.instance.gone[data-host="host-a"]', { timeout: 5000 });
  await page.waitForFunction(() => !document.querySelector('tr.instance[data-host="host-a"]'), undefined, {
    timeout: 5000,
  });
  expect(await page.locator('tr.instance').count()).toBe(2);
  await page.close();
});

test('a status whose service name holds HTML and script renders as text', async () => {
  dashboard = await startDashboard({ transport: client, logger, port: 0, pushInterval: 200 });
  const page = await browser.newPage();
  const hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>';
  await page.goto(dashboard.url);
  await page.waitForSelector('#live.on');
  await client.broadcast(STATUS_TOPIC, {
    host: '<i>evil-host</i>',
    service: hostile,
    status: 2,
    statustext: '<script>window.__pwned=3</script>',
    workflows: '"><svg onload=alert(1)>',
    utilization: { 2: 1 },
  });
  await page.waitForSelector('.group h2');
  expect(
    await page
      .locator('.group h2')
      .first()
      .evaluate((h) => h.firstChild?.textContent),
  ).toBe(hostile);
  expect(await page.locator('td.host').textContent()).toBe('<i>evil-host</i>');
  expect(await page.locator('main img, main script, main b, main i, main svg:not(.spark)').count()).toBe(0);
  expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  await screenshot(page, 'hostile-name');
  await page.close();
});

test('beyond loopback: no start without a token; every request and the live channel need it', async () => {
  await expect(startDashboard({ transport: client, logger, host: '0.0.0.0', port: 0 })).rejects.toThrow(
    DashboardConfigurationError,
  );
  await expect(startDashboard({ transport: client, logger, host: '0.0.0.0', port: 0 })).rejects.toMatchObject(
    {
      code: 'ZOCALO_DASHBOARD_CONFIGURATION',
    },
  );
  const token = 's3cret-token';
  dashboard = await startDashboard({ transport: client, logger, host: '0.0.0.0', port: 0, token });
  const base = `http://127.0.0.1:${dashboard.port}`;
  for (const path of ['/', '/assets/app.js', '/api/services', '/api/events']) {
    expect((await fetch(`${base}${path}`)).status).toBe(401);
    expect((await fetch(`${base}${path}?token=wrong`)).status).toBe(401);
    expect((await fetch(`${base}${path}`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
  }
  expect(
    (await fetch(`${base}/api/services`, { headers: { authorization: `Bearer ${token}` } })).status,
  ).toBe(200);
  // The page opened with ?token= works, its live channel included (the cookie, and the token it passes on).
  const page = await browser.newPage();
  await page.goto(`${base}/?token=${token}`);
  await page.waitForSelector('#live.on');
  await client.broadcast(STATUS_TOPIC, { host: 'h', service: 'Guarded', status: 2, workflows: '1' });
  await page.waitForSelector('.group[data-service="Guarded"]');
  await page.close();
  // Without the cookie the page gave it, a browser is refused.
  await browser.context.clearCookies();
  const refused = await browser.newPage();
  const response = await refused.goto(`${base}/`);
  expect(response?.status()).toBe(401);
  await refused.close();
  await dashboard.close();

  // A basic-auth login instead: the browser is asked for it, and actions are logged with its user.
  dashboard = await startDashboard({
    transport: client,
    logger,
    host: '0.0.0.0',
    port: 0,
    basicAuth: { username: 'ops', password: 'pw' },
  });
  const login = `http://127.0.0.1:${dashboard.port}/api/services`;
  const asked = await fetch(login);
  expect(asked.status).toBe(401);
  expect(asked.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
  const basic = `Basic ${Buffer.from('ops:pw').toString('base64')}`;
  expect((await fetch(login, { headers: { authorization: basic } })).status).toBe(200);
  // Actions need the page's header (no cross-site form sends one) and a confirmation.
  const post = (headers: Record<string, string>, body: string): Promise<Response> =>
    fetch(`http://127.0.0.1:${dashboard!.port}/api/dlq/purge`, { method: 'POST', headers, body });
  const json = { authorization: basic, 'content-type': 'application/json' };
  expect((await post(json, '{"queue": "dlq.x", "confirm": true}')).status).toBe(403);
  expect((await post({ ...json, 'x-zocalo-dashboard': '1' }, '{"queue": "dlq.x"}')).status).toBe(400);
  expect((await post({ ...json, 'x-zocalo-dashboard': '1' }, 'not json')).status).toBe(400);
  // Confirmed, but this dashboard has no broker view: nothing to purge.
  expect(
    (await post({ ...json, 'x-zocalo-dashboard': '1' }, '{"queue": "dlq.x", "confirm": true}')).status,
  ).toBe(409);
});

test('a 50 MB body and a body of invalid UTF-8 are shown truncated, and the page keeps working', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'zocalo-dashboard-big-'));
  try {
    mkdirSync(join(directory, '2026-12-06'));
    const saved = (name: string, body: Record<string, string>): void =>
      writeFileSync(
        join(directory, '2026-12-06', name),
        JSON.stringify({
          version: 1,
          dlq: 'dlq.big',
          originalQueue: 'big',
          savedAt: '2026-12-06T20:00:00.000Z',
          header: { 'message-id': name },
          ...body,
        }),
      );
    saved('msg-1-huge', { body: JSON.stringify({ data: 'x'.repeat(50 * 1024 * 1024) }) });
    const invalid = Buffer.concat([
      Buffer.from('{"text": "caf'),
      Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    saved('msg-2-invalid', { bodyBase64: invalid.toString('base64') });
    // The memory transport has no dead-letter queues: a view that counts none, over the saved files.
    const broker: BrokerView = {
      kind: 'rabbitmq',
      dlqPrefix: 'dlq.',
      queues: async () => [],
      dlqCounts: async () => [],
    };
    dashboard = await startDashboard({
      transport: client,
      logger,
      port: 0,
      broker,
      purgeDirectory: directory,
    });
    const page = await browser.newPage();
    await page.goto(`${dashboard.url}#dlq`);
    const huge = page.locator('.saved[data-id="2026-12-06/msg-1-huge"]');
    await huge.waitFor({ timeout: 15_000 });
    expect((await huge.locator('pre.body').textContent())?.length).toBe(BODY_LIMIT);
    expect(await huge.locator('.flags').textContent()).toMatch(
      /body truncated: showing the first 65536 characters of 52428811 bytes/,
    );
    const broken = page.locator('.saved[data-id="2026-12-06/msg-2-invalid"]');
    expect(await broken.locator('.flags').textContent()).toContain('not valid UTF-8');
    expect(await broken.locator('pre.body').textContent()).toBe('{"text": "caf\ufffd(\ufffd\ufffd"}');
    await screenshot(page, 'dlq-truncated');
    // Still live: the services view works after it.
    await page.click('nav a[data-view="services"]');
    await client.broadcast(STATUS_TOPIC, { host: 'h', service: 'AfterBigBody', status: 2, workflows: '1' });
    await page.waitForSelector('.group[data-service="AfterBigBody"]');
    await page.close();
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('recipes are drawn as SVG and one starts from the form with parameters (the zocalo go request)', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'zocalo-dashboard-recipes-'));
  try {
    writeFileSync(
      join(directory, 'image-analysis.json'),
      JSON.stringify({
        1: { service: 'Find spots', queue: 'example.find-spots', output: { hits: 2, misses: 3 } },
        2: { service: '<b>Collect</b>', queue: 'example.collect' },
        3: { service: 'Log misses', topic: 'example.misses' },
        start: [[1, {}]],
      }),
    );
    writeFileSync(join(directory, 'broken.json'), '{"start": [[9, {}]]}');
    const requests: Array<{ header: Record<string, unknown>; message: unknown }> = [];
    await client.subscribe('processing_recipe', (header, message) => void requests.push({ header, message }));
    dashboard = await startDashboard({ transport: client, logger, port: 0, recipeDirectory: directory });
    const page = await browser.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await page.goto(`${dashboard.url}#recipes`);
    const card = page.locator('.recipe[data-recipe="image-analysis"]');
    await card.waitFor();
    await page.waitForFunction(() => {
      const image = document.querySelector<HTMLImageElement>(
        '.recipe[data-recipe="image-analysis"] img.graph',
      );
      return image !== null && image.complete && image.naturalWidth > 0;
    });
    const svg = await (await fetch(`${dashboard.url}api/recipes/image-analysis.svg`)).text();
    expect(svg).toContain('1: Find spots');
    expect(svg).toContain('&lt;b&gt;Collect&lt;/b&gt;');
    expect(svg).toContain('>hits<');
    expect(await page.locator('.recipe[data-recipe="broken"] .notice').textContent()).toBeTruthy();
    await card.locator('textarea.parameters').fill('{"ispyb_dcid": 1234, "note": "<i>x</i>"}');
    await card.locator('button.start').click();
    await page.waitForFunction(() =>
      /Recipe ID: [0-9a-f-]{36}/.test(document.querySelector('.recipe .result')?.textContent ?? ''),
    );
    const guid = /Recipe ID: (\S+)/.exec((await card.locator('.result').textContent()) ?? '')![1];
    await screenshot(page, 'recipes');
    expect(requests).toHaveLength(1);
    expect(requests[0].message).toEqual({
      recipes: ['image-analysis'],
      parameters: { ispyb_dcid: 1234, note: '<i>x</i>', guid },
    });
    expect(requests[0].header['zocalo.go.user']).toBe('local user');
    expect(
      logger.records.some((record) => record.msg.includes(`started recipe image-analysis (${guid})`)),
    ).toBe(true);
    await page.close();
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
