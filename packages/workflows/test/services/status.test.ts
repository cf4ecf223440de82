import { until } from '@zocalo/test-brokers';
import type { ServiceContext, StatusMessage } from '../../src';
import { ServiceRuntime, ServiceState, WORKFLOWS_VERSION, defineService, Service } from '../../src';
import type { Setup } from './helpers';
import { setup } from './helpers';

let env: Setup;
beforeEach(async () => {
  env = await setup();
});
afterEach(() => env.close());

/** Status broadcasts reach the subscriber a moment after they are sent. */
const ended = (statuses: StatusMessage[]): Promise<void> =>
  until(() => statuses.length > 0 && statuses[statuses.length - 1].status === ServiceState.END);

const states = (statuses: StatusMessage[]): number[] =>
  statuses.map((status) => status.status).filter((state, i, all) => i === 0 || all[i - 1] !== state);

class Consumer extends Service {
  readonly name = 'Sample consumer';
  release: (() => void) | undefined;
  override async initializing(ctx: ServiceContext): Promise<void> {
    await ctx.subscribe('work', () => new Promise<void>((resolve) => (this.release = resolve)));
  }
}

describe('status broadcasts', () => {
  test('every field of the spec, and nothing else', async () => {
    const runtime = new ServiceRuntime(new Consumer(), env.options());
    const running = runtime.run();
    await until(() => env.statuses.some((status) => status.status === ServiceState.IDLE));
    runtime.stop();
    await running;
    const idle = env.statuses.find((status) => status.status === ServiceState.IDLE)!;
    expect(Object.keys(idle).sort()).toEqual(
      ['host', 'service', 'serviceclass', 'status', 'statustext', 'utilization', 'workflows'].sort(),
    );
    expect(idle).toMatchObject({
      host: 'uk.ac.diamond.test.4711',
      workflows: WORKFLOWS_VERSION,
      status: 2,
      statustext: 'idle',
      service: 'Sample consumer',
      serviceclass: 'Consumer',
    });
    const fractions = Object.values(idle.utilization!);
    expect(Object.keys(idle.utilization!).every((key) => /^-?\d+$/.test(key))).toBe(true);
    expect(fractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
  });

  test('the default host id is the unique host id of this process', async () => {
    const runtime = new ServiceRuntime(defineService({ name: 'Plain' }), env.options({ hostId: undefined }));
    expect(runtime.hostId.endsWith(`.${process.pid}`)).toBe(true);
    expect(runtime.statusMessage().serviceclass).toBe('Plain');
  });

  test('moves through STARTING, IDLE, PROCESSING, IDLE, SHUTDOWN, END, broadcasting each change', async () => {
    const service = new Consumer();
    const runtime = new ServiceRuntime(service, env.options());
    expect(runtime.state).toBe(ServiceState.NEW);
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.send('work', { n: 1 });
    await until(() => service.release !== undefined);
    expect(runtime.state).toBe(ServiceState.PROCESSING);
    service.release!();
    await until(() => runtime.state === ServiceState.IDLE);
    runtime.stop();
    await running;
    expect(runtime.state).toBe(ServiceState.END);
    await ended(env.statuses);
    expect(states(env.statuses)).toEqual([
      ServiceState.STARTING,
      ServiceState.IDLE,
      ServiceState.PROCESSING,
      ServiceState.IDLE,
      ServiceState.SHUTDOWN,
      ServiceState.END,
    ]);
    expect(env.statuses.map((status) => status.statustext)).toContain('shutting down');
    expect(env.statuses[env.statuses.length - 1].statustext).toBe('shutdown');
  });

  test('repeats the status every interval while nothing changes', async () => {
    const runtime = new ServiceRuntime(new Consumer(), env.options({ statusInterval: 0.05 }));
    const running = runtime.run();
    await until(() => env.statuses.filter((status) => status.status === ServiceState.IDLE).length >= 3);
    runtime.stop();
    await running;
    expect(
      env.statuses.filter((status) => status.status === ServiceState.IDLE).length,
    ).toBeGreaterThanOrEqual(3);
  });

  test('a busy service does not announce the short IDLE between messages (0.5 s delay, as in Python)', async () => {
    let handled = 0;
    const service = defineService({
      name: 'Busy',
      initializing: async (ctx) => {
        await ctx.subscribe('work', () => {
          handled++;
        });
      },
    });
    const runtime = new ServiceRuntime(service, env.options({ idleDelay: 0.5 }));
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    for (let n = 0; n < 20; n++) await env.client.send('work', { n });
    await until(() => handled === 20);
    runtime.stop();
    await running;
    await ended(env.statuses);
    // STARTING, then the processing burst, never the sub-second IDLE moments within it.
    expect(states(env.statuses)).toEqual([
      ServiceState.STARTING,
      ServiceState.PROCESSING,
      ServiceState.SHUTDOWN,
      ServiceState.END,
    ]);
  });

  test('a service that fails to start broadcasts ERROR and run() rejects', async () => {
    const service = defineService({
      name: 'Broken',
      initializing: () => {
        throw new Error('no database');
      },
    });
    const runtime = new ServiceRuntime(service, env.options());
    await expect(runtime.run()).rejects.toThrow('no database');
    expect(runtime.state).toBe(ServiceState.ERROR);
    await until(() => env.statuses.some((status) => status.status === ServiceState.ERROR));
    expect(env.statuses.find((status) => status.status === ServiceState.ERROR)!.statustext).toBe('error');
    expect(env.transport.isConnected()).toBe(false);
    expect(
      env.logger.records.some((entry) => entry.level === 'error' && entry.msg === 'service failed to start'),
    ).toBe(true);
  });

  test('losing the transport ends the service in ERROR', async () => {
    const runtime = new ServiceRuntime(new Consumer(), env.options());
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    // Disconnect behind the runtime's back, as a broker connection loss would.
    await env.transport.disconnect();
    await expect(running).rejects.toThrow('lost the connection');
    expect(runtime.state).toBe(ServiceState.ERROR);
  });
});
