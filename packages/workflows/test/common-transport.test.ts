import type { ReceivedHeaders, SubscriptionId, TransportEvent } from '../src';
import { MemoryBroker, MemoryTransport } from '../src';
import { recordingLogger, until } from './helpers';

/** Exposes the protected reconnect hook, as a broker transport would use it. */
class ReconnectingTransport extends MemoryTransport {
  simulateReconnect(id: SubscriptionId): void {
    this.forgetDeliveries(this.subscriptions.get(id)!);
  }
}

describe('CommonTransport', () => {
  it('runs send middleware outermost first and lets it change the message', async () => {
    const transport = new MemoryTransport({ broker: new MemoryBroker(), logger: recordingLogger() });
    await transport.connect();
    const order: string[] = [];
    transport.use({
      name: 'outer',
      send: (outgoing, next) => {
        order.push('outer');
        return next({
          ...outgoing,
          options: { ...outgoing.options, headers: { ...outgoing.options.headers, traced: 'yes' } },
        });
      },
    });
    transport.use({
      name: 'inner',
      send: (outgoing, next) => {
        order.push('inner');
        return next({ ...outgoing, message: { wrapped: outgoing.message } });
      },
      receive: (incoming, next) => {
        order.push('receive');
        return next(incoming);
      },
    });
    const got: Array<[ReceivedHeaders, unknown]> = [];
    await transport.subscribe('mw', (header, message) => void got.push([header, message]));
    await transport.send('mw', 1);
    await until(() => got.length === 1);
    expect(order).toEqual(['outer', 'inner', 'receive']);
    expect(got[0][1]).toEqual({ wrapped: 1 });
    expect(got[0][0].traced).toBe('yes');
    await transport.disconnect();
  });

  it('rejects a send when middleware throws, and sends nothing', async () => {
    const broker = new MemoryBroker();
    const transport = new MemoryTransport({ broker, logger: recordingLogger() });
    await transport.connect();
    transport.use({
      send: () => {
        throw new Error('refused by middleware');
      },
    });
    await expect(transport.send('blocked', 1)).rejects.toThrow('refused by middleware');
    expect(broker.stats('blocked').depth).toBe(0);
    await transport.disconnect();
  });

  it('drops an ack for a delivery from before a reconnect, with a warning', async () => {
    const logger = recordingLogger();
    const broker = new MemoryBroker();
    const transport = new ReconnectingTransport({ broker, logger });
    await transport.connect();
    const got: ReceivedHeaders[] = [];
    const id = await transport.subscribe('stale', (header) => void got.push(header), {
      acknowledgement: true,
    });
    await transport.send('stale', 1);
    await until(() => got.length === 1);
    transport.simulateReconnect(id);
    await transport.ack(got[0]);
    expect(logger.records.some((r) => r.level === 'warn' && /ack dropped/.test(r.msg ?? ''))).toBe(true);
    // The broker still holds it unacknowledged: the ack really was not passed on.
    expect(broker.stats('stale').inFlight).toBe(1);
    await transport.disconnect();
  });

  it('logs a failing callback without acknowledgement and keeps consuming', async () => {
    const logger = recordingLogger();
    const transport = new MemoryTransport({ broker: new MemoryBroker(), logger });
    await transport.connect();
    const got: unknown[] = [];
    await transport.subscribe('fails', (_header, message) => {
      got.push(message);
      if (message === 1) throw new Error('boom');
    });
    await transport.send('fails', 1);
    await transport.send('fails', 2);
    await until(() => got.length === 2);
    expect(logger.records.filter((r) => r.level === 'error')).toHaveLength(1);
    await transport.disconnect();
  });

  it('keeps notifying other listeners when one throws', async () => {
    const logger = recordingLogger();
    const transport = new MemoryTransport({ broker: new MemoryBroker(), logger });
    const events: TransportEvent['type'][] = [];
    transport.onEvent(() => {
      throw new Error('listener bug');
    });
    transport.onEvent((event) => events.push(event.type));
    await transport.connect();
    await transport.disconnect();
    expect(events).toEqual(['connected', 'disconnected']);
    expect(logger.records.filter((r) => r.level === 'error')).toHaveLength(2);
  });
});
