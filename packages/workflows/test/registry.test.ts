import type { Transport } from '../src';
import {
  createTransport,
  MemoryTransport,
  registerTransport,
  registeredTransports,
  TransportConfigError,
} from '../src';

describe('transport registry', () => {
  it('creates the memory transport by name', async () => {
    const transport = await createTransport('memory');
    expect(transport).toBeInstanceOf(MemoryTransport);
    expect(transport.name).toBe('memory');
  });

  it('names the missing package and the registered transports for an unknown name', async () => {
    const error = await createTransport('nosuchbroker').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportConfigError);
    expect((error as Error).message).toMatch(/unknown transport "nosuchbroker"/);
    expect((error as Error).message).toMatch(/@zocalo\/transport-nosuchbroker/);
    expect((error as Error).message).toMatch(/Registered: .*memory/);
  });

  it('lets a third party register a transport and passes it the settings', async () => {
    let given: unknown;
    registerTransport('thirdparty', (settings) => {
      given = settings;
      return new MemoryTransport() as Transport;
    });
    expect(registeredTransports()).toContain('thirdparty');
    await createTransport('thirdparty', { host: 'example' });
    expect(given).toEqual({ host: 'example' });
  });

  it('refuses an invalid transport name', () => {
    expect(() => registerTransport('Bad Name', () => new MemoryTransport())).toThrow(TransportConfigError);
  });
});
