import { sleep, until } from '@zocalo/test-brokers';
import type { ServiceContext } from '../../src';
import { COMMAND_TOPIC, Service, ServiceRuntime, ServiceState, defineService } from '../../src';
import type { Setup } from './helpers';
import { setup } from './helpers';

let env: Setup;
beforeEach(async () => {
  env = await setup();
});
afterEach(() => env.close());

/** Holds each message until released; records the order of what happens. */
class Holder extends Service {
  readonly name = 'Holder service';
  readonly events: string[] = [];
  release: (() => void) | undefined;

  override async initializing(ctx: ServiceContext): Promise<void> {
    await ctx.subscribe('work', async (msg) => {
      this.events.push(`start ${String(msg.message)}`);
      await new Promise<void>((resolve) => (this.release = resolve));
      await msg.send('results', msg.message);
      this.events.push(`end ${String(msg.message)}`);
    });
  }

  override async inShutdown(ctx: ServiceContext): Promise<void> {
    this.events.push('inShutdown');
    await ctx.send('goodbye', { from: ctx.hostId });
  }
}

async function started(service: Service, extra = {}): Promise<[ServiceRuntime, Promise<void>]> {
  const runtime = new ServiceRuntime(service, env.options(extra));
  const running = runtime.run();
  await until(() => runtime.state === ServiceState.IDLE);
  return [runtime, running];
}

describe('shutdown command on the broadcast topic "command"', () => {
  test('addressed by host id', async () => {
    const [runtime, running] = await started(new Holder());
    await env.client.broadcast(COMMAND_TOPIC, { command: 'shutdown', host: 'uk.ac.diamond.other.1' });
    await sleep(20);
    expect(runtime.state).toBe(ServiceState.IDLE);
    await env.client.broadcast(COMMAND_TOPIC, { command: 'shutdown', host: runtime.hostId });
    await running;
    expect(runtime.state).toBe(ServiceState.END);
  });

  test('addressed by service class, as zocalo.shutdown -s sends it', async () => {
    const [runtime, running] = await started(new Holder());
    await env.client.broadcast(COMMAND_TOPIC, { command: 'shutdown', service: 'Holder' });
    await running;
    expect(runtime.state).toBe(ServiceState.END);
  });

  test('addressed by service name', async () => {
    const [, running] = await started(new Holder());
    await env.client.broadcast(COMMAND_TOPIC, { command: 'shutdown', service: 'Holder service' });
    await running;
  });

  test('ignored unless every address given matches; unknown commands are logged', async () => {
    const [runtime, running] = await started(new Holder());
    await env.client.broadcast(COMMAND_TOPIC, { command: 'shutdown' });
    await env.client.broadcast(COMMAND_TOPIC, {
      command: 'shutdown',
      host: runtime.hostId,
      service: 'Other',
    });
    await env.client.broadcast(COMMAND_TOPIC, { command: 'shutdown', service: null });
    await env.client.broadcast(COMMAND_TOPIC, { command: 'reboot', host: runtime.hostId });
    await env.client.broadcast(COMMAND_TOPIC, 'shutdown');
    await until(() => env.logger.records.some((entry) => entry.msg.includes('unknown command')));
    await sleep(10);
    expect(runtime.state).toBe(ServiceState.IDLE);
    runtime.stop();
    await running;
  });

  test('a command received mid-message lets that message finish first', async () => {
    const service = new Holder();
    const [runtime, running] = await started(service);
    await env.client.send('work', 1);
    await env.client.send('work', 2);
    await until(() => service.release !== undefined);
    await env.client.broadcast(COMMAND_TOPIC, { command: 'shutdown', host: runtime.hostId });
    await until(() => env.logger.records.some((entry) => entry.msg.includes("'shutdown'")));
    expect(runtime.state).toBe(ServiceState.PROCESSING);
    service.release!();
    await running;
    expect(service.events).toEqual(['start 1', 'end 1', 'inShutdown']);
    // Message 1 committed; message 2 was never taken and waits on the queue for the next instance.
    expect(env.broker.stats('results').depth).toBe(1);
    expect(env.broker.stats('goodbye').depth).toBe(1);
    expect(env.broker.stats('work')).toMatchObject({ depth: 1, inFlight: 0, consumers: 0 });
  });
});

describe('signals', () => {
  test('SIGTERM mid-message: the message finishes, inShutdown() runs, the transport disconnects', async () => {
    const service = new Holder();
    const [runtime, running] = await started(service);
    await env.client.send('work', 'a');
    await until(() => service.release !== undefined);
    runtime.handleSignal('SIGTERM');
    await sleep(10);
    expect(service.events).toEqual(['start a']);
    service.release!();
    await running;
    expect(service.events).toEqual(['start a', 'end a', 'inShutdown']);
    expect(env.broker.stats('results').depth).toBe(1);
    expect(env.broker.stats('work')).toMatchObject({ depth: 0, inFlight: 0 });
    expect(env.transport.isConnected()).toBe(false);
  });

  test('a second signal stops waiting: the message in hand goes back to the queue, nothing half-sent', async () => {
    const service = new Holder();
    const [runtime, running] = await started(service);
    await env.client.send('work', 'stuck');
    await until(() => service.release !== undefined);
    runtime.handleSignal('SIGINT');
    runtime.handleSignal('SIGINT');
    await running;
    expect(service.events).toEqual(['start stuck', 'inShutdown']);
    expect(env.broker.stats('work')).toMatchObject({ depth: 1, inFlight: 0 });
    service.release!();
    await sleep(10);
    expect(env.broker.stats('results').depth).toBe(0);
  });

  test('installed handlers catch SIGTERM and are removed when the service ends', async () => {
    const before = process.listenerCount('SIGTERM');
    const service = new Holder();
    const [runtime, running] = await started(service, { signals: true });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    expect(process.listenerCount('SIGINT')).toBeGreaterThanOrEqual(1);
    await env.client.send('work', 'x');
    await until(() => service.release !== undefined);
    // Emitted, not sent with process.kill: jest's sandboxed `process` does not see real signals, so
    // a real one would kill the test runner. Real signals are tested on a child process.
    process.emit('SIGTERM', 'SIGTERM');
    await until(() => env.logger.records.some((entry) => entry.msg === 'shutting down: received SIGTERM'));
    expect(runtime.state).toBe(ServiceState.PROCESSING);
    service.release!();
    await running;
    expect(service.events).toEqual(['start x', 'end x', 'inShutdown']);
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  test('the service itself can ask to shut down', async () => {
    const service = defineService({
      name: 'Once',
      initializing: async (ctx) => {
        await ctx.subscribe('work', () => ctx.shutdown('one message is enough'));
      },
    });
    const runtime = new ServiceRuntime(service, env.options());
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    await env.client.send('work', 1);
    await running;
    expect(runtime.state).toBe(ServiceState.END);
    expect(env.broker.stats('work')).toMatchObject({ depth: 0, inFlight: 0 });
  });

  test('a stop requested while starting takes effect once started', async () => {
    const events: string[] = [];
    const service = defineService({
      name: 'Slow start',
      initializing: async () => {
        await sleep(20);
        events.push('initialized');
      },
      inShutdown: () => {
        events.push('inShutdown');
      },
    });
    const runtime = new ServiceRuntime(service, env.options());
    const running = runtime.run();
    runtime.stop();
    await running;
    expect(events).toEqual(['initialized', 'inShutdown']);
  });

  test('inShutdown() that throws ends the service in ERROR', async () => {
    const service = defineService({
      name: 'Messy',
      inShutdown: () => {
        throw new Error('cleanup failed');
      },
    });
    const runtime = new ServiceRuntime(service, env.options());
    const running = runtime.run();
    await until(() => runtime.state === ServiceState.IDLE);
    runtime.stop();
    await expect(running).rejects.toThrow('cleanup failed');
    expect(runtime.state).toBe(ServiceState.ERROR);
  });
});
