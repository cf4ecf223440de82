/** Options, `--stomp-*` flags, the `--stomp-conf` INI file and host lists (no broker needed). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransport, pairBrokerAddresses, parseIni } from '@zocalo/workflows';
import {
  STOMP_DEFAULTS,
  StompTransport,
  brokerAddresses,
  readStompConf,
  resolveStompOptions,
  stompOptionsFromArgs,
  stompOptionsFromSettings,
} from '../src';

function confFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'zocalo-stomp-')), 'stomp.cfg');
  writeFileSync(path, text);
  return path;
}

describe('settings', () => {
  it('uses the spec defaults', () => {
    const options = resolveStompOptions();
    expect(options.addresses).toEqual([{ host: 'localhost', port: 61613 }]);
    expect(options.username).toBe('admin');
    expect(options.password).toBe('password');
    expect(options.prefix).toBe('');
    expect(options.heartbeatMs).toBe(STOMP_DEFAULTS.heartbeat * 1000);
    expect(options.receipts).toBe('batched');
    expect(options.defaultPrefetch).toBeUndefined();
  });

  it('reads the [stomp] section of a --stomp-conf file, as Python’s configparser does', () => {
    const path = confFile(
      [
        '; site broker',
        '[DEFAULT]',
        'base = zocalo',
        '[stomp]',
        'Host = broker.example.org',
        'port: 61614',
        'username = svc',
        'password = 100%% secret',
        'prefix = %(base)s',
        '[other]',
        'host = elsewhere',
      ].join('\n'),
    );
    expect(readStompConf(path)).toEqual({
      host: 'broker.example.org',
      port: '61614',
      username: 'svc',
      password: '100% secret',
      prefix: 'zocalo',
    });
    const options = resolveStompOptions({ conf: path, username: 'explicit' });
    expect(options.addresses).toEqual([{ host: 'broker.example.org', port: 61614 }]);
    // Explicit options win over the file.
    expect(options.username).toBe('explicit');
    expect(options.prefix).toBe('zocalo');
  });

  it('keeps continuation lines and ignores comments', () => {
    expect(parseIni('[a]\nkey = one\n  two\n# comment\nother=x')).toEqual({
      a: { key: 'one\ntwo', other: 'x' },
    });
  });

  it('explains a missing file or section', () => {
    expect(() => readStompConf('/nonexistent/stomp.cfg')).toThrow(/cannot read configuration file/);
    expect(() => readStompConf(confFile('[rabbit]\nhost = x\n'))).toThrow(/has no \[stomp\] section/);
  });

  it('takes plain names (site configuration) and --stomp-* flag names', () => {
    expect(
      stompOptionsFromSettings({ host: 'h', port: 1, username: 'u', password: 'p', prefix: 'x' }),
    ).toEqual({
      host: 'h',
      port: 1,
      username: 'u',
      password: 'p',
      prefix: 'x',
    });
    expect(
      stompOptionsFromSettings({
        '--stomp-host': 'h',
        'stomp-user': 'u',
        '--stomp-pass': 'p',
        '--stomp-prfx': 'x',
      }),
    ).toEqual({ host: 'h', username: 'u', password: 'p', prefix: 'x' });
    expect(
      stompOptionsFromArgs([
        'service',
        '--stomp-host',
        'h1,h2',
        '--stomp-port=61614',
        '--stomp-prfx',
        'zoc',
        '-v',
      ]),
    ).toEqual({ host: 'h1,h2', port: '61614', prefix: 'zoc' });
    expect(() => stompOptionsFromArgs(['--stomp-host'])).toThrow(/needs a value/);
  });

  it('pairs host lists with one port or one port per host, in order', () => {
    expect(brokerAddresses('a, b', 61613)).toEqual([
      { host: 'a', port: 61613 },
      { host: 'b', port: 61613 },
    ]);
    expect(brokerAddresses(['a', 'b'], '1,2')).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 2 },
    ]);
    expect(() => brokerAddresses('a,b,c', '1,2')).toThrow(/one port per host/);
    expect(() => brokerAddresses('a', 'http')).toThrow(/invalid port/);
    // The deprecated export is the shared pairing with STOMP's flag names; options keep the order.
    const names = { transport: 'stomp', hostFlag: '--stomp-host', portFlag: '--stomp-port' };
    expect(brokerAddresses('x,y', '1,2')).toEqual(pairBrokerAddresses('x,y', '1,2', names));
    expect(() => brokerAddresses('', 1)).toThrow('stomp transport: --stomp-host is empty');
    expect(resolveStompOptions({ host: 'c,b,a', port: 1 }).addresses.map((address) => address.host)).toEqual([
      'c',
      'b',
      'a',
    ]);
  });

  it('rejects bad tuning values with TransportConfigError', () => {
    for (const bad of [
      { heartbeat: -1 },
      { sendTimeout: 0 },
      { ackWindow: 1.5 },
      { receipts: 'some' },
    ] as const) {
      expect(() => resolveStompOptions(bad as never)).toThrow(
        expect.objectContaining({ name: 'TransportConfigError' }),
      );
    }
  });

  it('refuses a prefix with a comma (ActiveMQ would read every name as several destinations)', () => {
    expect(() => resolveStompOptions({ prefix: 'zocalo,other' })).toThrow(
      expect.objectContaining({
        name: 'TransportConfigError',
        message: expect.stringContaining('ActiveMQ treats as a composite destination') as string,
      }),
    );
  });

  it('registers itself as "stomp" with the transport registry', async () => {
    const transport = await createTransport('stomp', { host: 'broker', '--stomp-prfx': 'ns' });
    expect(transport).toBeInstanceOf(StompTransport);
    expect((transport as StompTransport).options.prefix).toBe('ns');
    expect((transport as StompTransport).options.addresses).toEqual([{ host: 'broker', port: 61613 }]);
  });
});
