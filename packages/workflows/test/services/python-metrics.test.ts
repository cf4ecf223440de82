/**
 * python-workflows' Prometheus metrics (`workflows.transport.middleware.prometheus`), scraped from a
 * service runtime's /metrics: the names, types, help texts and label sets a Grafana dashboard made
 * for Python services reads, with the values python-workflows would count for the same work.
 */
import { request } from 'node:http';
import { until } from '@zocalo/test-brokers';
import { PYTHON_DEFAULT_BUCKETS, ServiceRuntime, ServiceState, defineService } from '../../src';
import type { Setup } from './helpers';
import { setup } from './helpers';

let env: Setup;
beforeEach(async () => {
  env = await setup();
});
afterEach(() => env.close());

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

interface Family {
  type?: string;
  help?: string;
  /** Sample name and labels (`name{a="b"}`) → value. */
  samples: Map<string, number>;
  /** The label names of every sample but the histogram's `le`. */
  labelSets: Set<string>;
}

/** The Prometheus text format, by metric family. */
function parse(body: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let found = families.get(name);
    if (!found) families.set(name, (found = { samples: new Map(), labelSets: new Set() }));
    return found;
  };
  for (const line of body.split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === 'HELP') family(meta[2]).help = meta[3];
      else family(meta[2]).type = meta[3];
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!sample) continue;
    const name = sample[1].replace(/_(bucket|sum|count)$/, '');
    const target = families.has(sample[1]) ? family(sample[1]) : family(name);
    const labels = [...(sample[2] ?? '').matchAll(/(\w+)="/g)].map((match) => match[1]);
    target.samples.set(`${sample[1]}${sample[2] ?? ''}`, Number(sample[3]));
    target.labelSets.add(labels.filter((label) => label !== 'le').join(','));
  }
  return families;
}

/** python-workflows 3.5's metrics: name → [type, help]. */
const PYTHON_METRICS: Record<string, [string, string]> = {
  workflows_transport_subscriptions_total: ['counter', 'The total number of transport subscriptions'],
  workflows_transport_broadcast_subscriptions_total: [
    'counter',
    'The total number of transport broadcast subscriptions',
  ],
  workflows_transport_temporary_subscriptions_total: [
    'counter',
    'The total number of transport temporary subscriptions',
  ],
  workflows_transport_active_subscriptions: ['gauge', 'The total number of transport subscriptions'],
  workflows_callback_processing_time_seconds: [
    'histogram',
    'Histogram of callback processing time (in seconds)',
  ],
  workflows_transport_ack_total: ['counter', 'Total count of transport acknowledgements.'],
  workflows_transport_nack_total: ['counter', 'Total count of transport negative acknowledgements.'],
  workflows_transport_send_total: ['counter', 'Total number of messages sent'],
  workflows_transport_broadcast_total: ['counter', 'Total number of messages broadcast'],
  workflows_transport_transaction_begin_total: ['counter', 'Total number of transactions begun'],
  workflows_transport_transaction_abort_total: ['counter', 'Total number of transactions aborted'],
  workflows_transport_transaction_commit_total: ['counter', 'Total number of transactions committed'],
  workflows_transport_transactions_in_progress: [
    'gauge',
    'Total number of transactions currently in progress',
  ],
};

describe("python-workflows' metrics", () => {
  test('a service run serves them with the Python names, types, labels and counts', async () => {
    let failures = 0;
    let handled = 0;
    let news = 0;
    const service = defineService({
      name: 'Counted',
      initializing: async (ctx) => {
        await ctx.subscribe('work', async (msg) => {
          if (msg.message === 'bad') {
            handled++;
            return msg.reject('bad input');
          }
          if (msg.message === 'flaky' && failures++ === 0) throw new Error('fails once');
          await msg.send('out', 1);
          await msg.broadcast('news', 2);
          await msg.transport.rawSend('out', 'raw: not counted, as python-workflows counts send() only');
          handled++;
        });
        await ctx.subscribeBroadcast('news', () => void news++);
      },
    });
    const runtime = new ServiceRuntime(
      service,
      env.options({
        metricsPort: 0,
        metricsHost: '127.0.0.1',
        metricsSource: 'zocalo.service.counted:Counted',
        redeliveryBackoff: false,
      }),
    );
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    for (const body of ['good', 'good', 'bad', 'flaky']) await env.client.send('work', body);
    await until(() => handled === 4 && news === 3 && runtime.state === ServiceState.IDLE);
    const families = parse(await scrape(runtime.metricsPort!));
    runtime.stop();
    await running;

    for (const [name, [type, help]] of Object.entries(PYTHON_METRICS)) {
      const family = families.get(name);
      expect([name, family?.type, family?.help]).toEqual([name, type, help]);
      // One label, `source`, on every sample (a histogram's buckets also have `le`).
      for (const labels of family!.labelSets) expect([name, labels]).toEqual([name, 'source']);
    }
    const value = (name: string): number | undefined =>
      families.get(name)?.samples.get(`${name}{source="zocalo.service.counted:Counted"}`);
    expect(value('workflows_transport_subscriptions_total')).toBe(1);
    expect(value('workflows_transport_broadcast_subscriptions_total')).toBe(1);
    expect(value('workflows_transport_active_subscriptions')).toBe(2);
    expect(value('workflows_transport_send_total')).toBe(3); // good, good, flaky; not the raw sends
    expect(value('workflows_transport_broadcast_total')).toBe(3); // not the status broadcasts
    expect(value('workflows_transport_ack_total')).toBe(3);
    expect(value('workflows_transport_nack_total')).toBe(2); // the reject, and flaky released once
    // One a delivery: 5 on work (flaky twice), 3 on news; flaky's first is aborted.
    expect(value('workflows_transport_transaction_begin_total')).toBe(8);
    expect(value('workflows_transport_transaction_abort_total')).toBe(1);
    expect(value('workflows_transport_transaction_commit_total')).toBe(7);
    expect(value('workflows_transport_transactions_in_progress')).toBe(0);
    // prometheus_client's default buckets; every delivery to the service's own subscriptions timed,
    // the failed one too (python-workflows times it unless the callback raises), not the commands.
    const histogram = families.get('workflows_callback_processing_time_seconds')!;
    const buckets = [...histogram.samples.keys()]
      .filter((sample) => sample.includes('_bucket'))
      .map((sample) => /le="([^"]+)"/.exec(sample)![1]);
    expect(buckets).toEqual([...PYTHON_DEFAULT_BUCKETS.map(String), '+Inf']);
    const count = histogram.samples.get(
      'workflows_callback_processing_time_seconds_count{source="zocalo.service.counted:Counted"}',
    )!;
    expect(count).toBe(8);
    // Ours, beside them.
    expect(families.get('zocalo_messages_in_total')?.type).toBe('counter');
  });

  test('the source defaults to the service class, and unsubscribing lowers the active gauge', async () => {
    const service = defineService({
      name: 'Plain',
      serviceClass: 'PlainService',
      initializing: async (ctx) => {
        await ctx.subscribe('plain', () => undefined);
      },
    });
    const runtime = new ServiceRuntime(service, env.options({ metrics: true }));
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    const registry = runtime.metrics!.registry;
    runtime.stop();
    await running;
    const families = parse(await registry.metrics());
    const active = families.get('workflows_transport_active_subscriptions')!;
    expect([...active.samples]).toEqual([
      ['workflows_transport_active_subscriptions{source="PlainService"}', 0],
    ]);
  });
});
