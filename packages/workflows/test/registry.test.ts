import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transport, TransportDescriptor, TransportSettings } from '../src';
import {
  createTransport,
  deadLetterQueueOf,
  findTransportDescriptor,
  memoryDescriptor,
  MemoryTransport,
  registerTransport,
  registeredTransports,
  TransportConfigError,
  transportDescriptor,
  transportDescriptors,
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

describe('transport descriptors', () => {
  const made: TransportSettings[] = [];
  const pigeon: TransportDescriptor = {
    name: 'pigeon',
    aliases: ['carrier'],
    description: 'messages by bird',
    create(settings) {
      made.push(settings);
      return new MemoryTransport();
    },
    settings: [{ key: 'host', type: 'string', flag: 'pigeon-host', help: 'loft', ini: true }],
    iniFile: { flag: 'pigeon-conf', section: 'pigeon' },
    deadLetterPrefix: 'lost.',
  };

  beforeAll(() => registerTransport(pigeon));

  it('finds a transport by its name, an alias or a python-workflows class name', async () => {
    expect(transportDescriptor('pigeon')).toBe(pigeon);
    expect(transportDescriptor('carrier')).toBe(pigeon);
    expect(transportDescriptor('CarrierTransport')).toBe(pigeon);
    expect(registeredTransports()).toEqual(expect.arrayContaining(['pigeon', 'carrier']));
    expect(transportDescriptors()).toContain(pigeon);
    await createTransport('CarrierTransport', { host: 'loft' });
    expect(made).toEqual([{ host: 'loft' }]);
    expect(await findTransportDescriptor('carrier')).toBe(pigeon);
  });

  it('replaces a descriptor of the same name, aliases and all', () => {
    registerTransport({ ...pigeon, aliases: ['dove'] });
    expect(transportDescriptor('carrier')).toBeUndefined();
    expect(transportDescriptor('dove')?.name).toBe('pigeon');
    registerTransport(pigeon);
    expect(transportDescriptor('dove')).toBeUndefined();
  });

  it('refuses an invalid alias and a descriptor without a factory', () => {
    expect(() => registerTransport({ ...pigeon, name: 'other', aliases: ['Not Valid'] })).toThrow(
      /transport name "Not Valid" is invalid/,
    );
    expect(() => registerTransport({ name: 'nofactory' } as TransportDescriptor)).toThrow(
      /no create\(settings\) factory/,
    );
  });

  it('describes the memory transport, and names dead-letter queues', () => {
    expect(transportDescriptor('memory')).toBe(memoryDescriptor);
    expect(transportDescriptor('MemoryTransport')).toBe(memoryDescriptor);
    expect(deadLetterQueueOf(memoryDescriptor, 'q')).toBe('DLQ.q');
    expect(deadLetterQueueOf(pigeon, 'q')).toBe('lost.q');
    expect(deadLetterQueueOf(pigeon, 'lost.q')).toBe('lost.q');
    expect(() => deadLetterQueueOf({ name: 'x', create: () => new MemoryTransport() }, 'q')).toThrow(
      /no dead-letter queues/,
    );
  });

  it('the short form registers a descriptor with the name only', () => {
    registerTransport('shortform', () => new MemoryTransport());
    expect(transportDescriptor('shortform')).toMatchObject({ name: 'shortform' });
    expect(transportDescriptor('shortform')?.settings).toBeUndefined();
  });
});

describe('a transport known by an alias only', () => {
  const cwd = process.cwd();
  afterEach(() => process.chdir(cwd));

  it('is found among the installed @zocalo/transport-* descriptors', async () => {
    const root = mkdtempSync(join(tmpdir(), 'zocalo-registry-'));
    const dir = join(root, 'node_modules', '@zocalo', 'transport-owl');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'app' }));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: '@zocalo/transport-owl', exports: { './descriptor': './descriptor.cjs' } }),
    );
    writeFileSync(
      join(dir, 'descriptor.cjs'),
      "exports.descriptor = { name: 'owl', aliases: ['hoot'], create: () => ({ name: 'owl' }) };\n",
    );
    process.chdir(root);
    expect((await findTransportDescriptor('HootTransport')).name).toBe('owl');
    expect((await createTransport('hoot')).name).toBe('owl');
  });
});
