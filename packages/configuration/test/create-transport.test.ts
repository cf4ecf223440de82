import { MemoryBroker, RecordingLogger } from '@zocalo/workflows';
import { loadConfiguration } from '../src';
import { fixture } from './helpers';

describe('configuration.createTransport', () => {
  it('makes the configured transport, ready to connect and use', async () => {
    const configuration = loadConfiguration({
      file: fixture('site', 'main.yml'),
      environment: 'memory',
      logger: new RecordingLogger(),
    });
    expect(configuration.transport.name).toBe('memory');
    const broker = new MemoryBroker();
    const transport = await configuration.createTransport({ broker });
    await transport.connect();
    try {
      const received: unknown[] = [];
      await transport.subscribe('hello', (_header, message) => {
        received.push(message);
      });
      await transport.send('hello', { from: 'configuration' });
      for (let i = 0; i < 50 && received.length === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 10));
      expect(received).toEqual([{ from: 'configuration' }]);
    } finally {
      await transport.disconnect();
    }
  });

  it('says which package is missing for a transport that is not installed', async () => {
    const configuration = loadConfiguration({ env: {}, logger: new RecordingLogger() }).withFlags({
      transport: 'carrier-pigeon',
    });
    await expect(configuration.createTransport()).rejects.toThrow('unknown transport "carrier-pigeon"');
  });
});
