/**
 * What an idle `zocalo service` loads (#12: an idle service held 64-71 MB resident, the target is
 * under 60 MB). Resident memory is too noisy to assert in a test (the benchmark prints it, beside the
 * target: bench/footprint.bench.ts), so this asserts its cause instead: the modules that a service
 * never uses while it waits for messages are not loaded at all. The built bin runs as a site runs it,
 * with the runtime's defaults and stderr a pipe, and a loader hook records every module it loads.
 */
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import type { BrokerKind } from '@zocalo/test-brokers';
import { requireBroker, uniqueName } from '@zocalo/test-brokers';
import { BROKER_FLAGS, FIXTURES, startZocalo, tempDirectory } from './helpers';

/** What no idle service needs, with what each cost alone (MB resident, measured on Node 20). */
const NEVER_IDLE: ReadonlyArray<readonly [pattern: RegExp, why: string]> = [
  [/\/prom-client\//, 'metrics without --metrics-port (11 MB with @opentelemetry/api)'],
  [/\/@opentelemetry\//, 'loaded by prom-client'],
  [/\/cli-progress\//, 'progress bars of dlq and queue commands'],
  [/\/(dispatcher|schlockmeister|recipes)\/(dist|src)\//, 'the packages of other commands'],
  [/^node:http$/, 'the metrics endpoint'],
];

/** The other broker's client, by the transport in use. */
const OTHER_CLIENT: Record<'memory' | BrokerKind, RegExp[]> = {
  memory: [/\/amqplib\//, /\/stompit\//],
  stomp: [/\/amqplib\//],
  amqp: [/\/stompit\//],
};

const MEMORY_SITE = 'version: 1\nembedded:\n  plugin: memory\nenvironments:\n  default: [embedded]\n';

/** The package a module file belongs to (the last one under node_modules, or a workspace package). */
function packageOf(file: string): string {
  const installed = /.*\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (installed) return installed[1];
  const workspace = /\/packages\/([^/]+)\//.exec(file);
  return workspace ? `@zocalo/${workspace[1]}` : file;
}

async function modulesOfIdleService(kind: 'memory' | BrokerKind): Promise<string[]> {
  const dir = tempDirectory({ 'site.yaml': MEMORY_SITE });
  const record = join(dir, 'modules.txt');
  const flags = kind === 'memory' ? ['--config', join(dir, 'site.yaml')] : BROKER_FLAGS[kind];
  const service = startZocalo(['service', join(FIXTURES, 'idle-service.mjs'), ...flags], {
    nodeArgs: ['--import', join(FIXTURES, 'record-modules.mjs')],
    env: { RECORD_MODULES: record, FOOTPRINT_QUEUE: uniqueName('footprint') },
  });
  try {
    await service.waitFor(/service started/);
    // A status broadcast or two, as an idle service sends them.
    await new Promise((resolve) => setTimeout(resolve, 1500));
  } finally {
    service.child.kill('SIGTERM');
  }
  const finished = await service.exited;
  expect(finished.code).toBe(0);
  return [...new Set(readFileSync(record, 'utf8').split('\n').filter(Boolean))].map((line) =>
    line.replace(/^file:\/\//, ''),
  );
}

describe.each(['memory', 'stomp', 'amqp'] as const)('an idle zocalo service on %s', (kind) => {
  beforeAll(async () => {
    if (kind !== 'memory') await requireBroker(kind);
  });

  test('loads what it runs on and nothing an idle service does not use', async () => {
    const modules = await modulesOfIdleService(kind);
    // The recorder works: the logger, the site file reader and the transport are there.
    expect(modules.some((file) => /\/pino\//.test(file))).toBe(true);
    expect(modules.some((file) => /\/yaml\//.test(file))).toBe(true);
    if (kind === 'stomp') expect(modules.some((file) => /\/stompit\//.test(file))).toBe(true);
    if (kind === 'amqp') expect(modules.some((file) => /\/amqplib\//.test(file))).toBe(true);

    // One line per package (or built-in) that should not be there, with why.
    const unneeded = new Set([
      ...NEVER_IDLE.flatMap(([pattern, why]) =>
        modules.filter((file) => pattern.test(file)).map((file) => `${packageOf(file)}: ${why}`),
      ),
      ...OTHER_CLIENT[kind].flatMap((pattern) =>
        modules
          .filter((file) => pattern.test(file))
          .map((file) => `${packageOf(file)}: the other broker's client`),
      ),
    ]);
    expect([...unneeded]).toEqual([]);
  });
});

describe.each(['memory', 'amqp'] as const)('with --metrics-port on %s', (kind) => {
  beforeAll(async () => {
    if (kind !== 'memory') await requireBroker(kind);
  });

  test("a service loads prom-client on demand and serves python-workflows' metrics at /metrics", async () => {
    const dir = tempDirectory({ 'site.yaml': MEMORY_SITE });
    const flags = kind === 'memory' ? ['--config', join(dir, 'site.yaml')] : BROKER_FLAGS[kind];
    const service = startZocalo(
      ['service', join(FIXTURES, 'idle-service.mjs'), ...flags, '--metrics-port', '0'],
      { env: { FOOTPRINT_QUEUE: uniqueName('footprint.metrics') } },
    );
    try {
      await service.waitFor(/serving metrics at \/metrics/);
      await service.waitFor(/service started/);
      const port = Number(/"port":(\d+)/.exec(service.output())?.[1]);
      const body = await new Promise<string>((resolve, reject) => {
        get({ host: '127.0.0.1', port, path: '/metrics' }, (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve(text));
        }).on('error', reject);
      });
      expect(body).toContain('# TYPE zocalo_messages_in_total counter');
      // python-workflows' names, labelled with the service class as source.
      expect(body).toContain('# TYPE workflows_transport_subscriptions_total counter');
      expect(body).toContain('# TYPE workflows_callback_processing_time_seconds histogram');
      expect(body).toContain('workflows_transport_subscriptions_total{source="Footprint"} 1');
      expect(body).toContain('workflows_transport_active_subscriptions{source="Footprint"} 1');
    } finally {
      service.child.kill('SIGTERM');
    }
    const exited = await service.exited;
    // The service's own words when it did not end cleanly: why is in its log.
    if (exited.code !== 0) throw new Error(`exit ${exited.code} after SIGTERM:\n${service.output()}`);
  });
});
