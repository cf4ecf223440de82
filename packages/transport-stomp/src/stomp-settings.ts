/**
 * Options of the STOMP transport: the spec's `--stomp-*` settings (wire-format.md, "STOMP"), the
 * `[stomp]` INI file of `--stomp-conf`, host lists, and the transport's own tuning knobs with their
 * defaults. Times are in seconds, as everywhere in the Zocalo API.
 */
import type {
  BrokerAddress,
  CommonTransportOptions,
  ReconnectOptions,
  ReconnectPolicy,
  TransportSettings,
} from '@zocalo/workflows';
import {
  pairBrokerAddresses,
  readIniSection,
  pickSettings,
  RECONNECT_DEFAULTS,
  resolveReconnect,
  TransportConfigError,
} from '@zocalo/workflows';

export type { ReconnectOptions } from '@zocalo/workflows';

/**
 * When a send asks the broker for a receipt. Either way a send resolves only once a receipt proves
 * the broker has processed it.
 * - `batched` (default): sends written together carry one receipt on the last frame; the broker
 *   handles a connection's frames in order, so that receipt confirms every send before it. The broker
 *   stores persistent messages in that same order, so the confirmation is as strong as one receipt
 *   per send, at several times the throughput.
 * - `every`: each SEND carries its own receipt (ActiveMQ then stores each one synchronously).
 */
export type ReceiptMode = 'batched' | 'every';

export interface StompTransportOptions extends CommonTransportOptions {
  /** Broker host, or several for failover: a list or a comma-separated string. Default `localhost`. */
  readonly host?: string | readonly string[];
  /** One port for all hosts, or one per host (list or comma-separated). Default 61613. */
  readonly port?: number | string | readonly number[];
  /** Default `admin`. */
  readonly username?: string;
  /** Default `password`. */
  readonly password?: string;
  /** Namespace: a non-empty prefix plus `.` goes in front of every queue and topic name. Default empty. */
  readonly prefix?: string;
  /** An INI file with section `[stomp]` (host, port, username, password, prefix), read once here. */
  readonly conf?: string;
  /** STOMP heart-beat interval in seconds, both ways; 0 disables. We beat twice per interval; a broker silent for three intervals is dropped. Default 10. */
  readonly heartbeat?: number;
  /** Give up a connection attempt (TCP and STOMP login) after this many seconds. Default 10. */
  readonly connectTimeout?: number;
  /** Reconnect after a dropped connection (default on), or `false` to report `disconnected` at once. */
  readonly reconnect?: ReconnectOptions | false;
  /** See {@link ReceiptMode}. Default `batched`. */
  readonly receipts?: ReceiptMode;
  /** A send not confirmed within this many seconds (reconnects included) is rejected. Default 60. */
  readonly sendTimeout?: number;
  /**
   * A connection whose broker has left frames unconfirmed this long, while frames wait, is declared
   * stalled: the transport logs it, drops the connection and reconnects. Default 30.
   */
  readonly stallTimeout?: number;
  /**
   * `activemq.prefetchSize` of subscriptions that do not set a prefetch. Default: the broker's own
   * with acknowledgement (1000 on ActiveMQ), 100 without (see the README: such subscriptions are acked
   * by the transport, as ActiveMQ ignores the prefetch of `ack: auto`).
   */
  readonly defaultPrefetch?: number;
  /**
   * Most ACK/NACK frames the broker may have unread on one connection; more wait until the broker
   * confirms it has caught up. ActiveMQ deadlocks a consumer connection whose unread ACKs fill its
   * socket buffer while it writes messages to it (brokers.md, "publish-while-consume"). A subscription
   * whose prefetch is at most this needs no bound (the broker never has more unread ACKs than messages
   * out), so no confirmations are asked for. Default 512 (about 40 kB of ACK frames).
   */
  readonly ackWindow?: number;
  /** Most unconfirmed SEND frames on one connection; more wait, unsent. Default 4096. */
  readonly sendWindow?: number;
  /**
   * The broker's limits on a frame (ActiveMQ's STOMP defaults; a connector's `wireFormat.*` options
   * change them). A send beyond them is refused here with a {@link MessageRefusedError} instead of the
   * broker dropping the connection, and every send in flight on it: bytes of one escaped header line
   * (`maxHeaderLength`, 10240), headers of a frame (`maxHeaders`, 1000, the transport's own included),
   * body bytes (`maxDataLength`, 104857600).
   */
  readonly maxHeaderLength?: number;
  readonly maxHeaders?: number;
  readonly maxDataLength?: number;
}

export type { BrokerAddress } from '@zocalo/workflows';

/** Everything the transport needs, defaults applied and checked. Times in milliseconds. */
export interface ResolvedStompOptions {
  readonly addresses: readonly BrokerAddress[];
  readonly username: string;
  readonly password: string;
  readonly prefix: string;
  readonly heartbeatMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnect: ReconnectPolicy | false;
  readonly receipts: ReceiptMode;
  readonly sendTimeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly defaultPrefetch: number | undefined;
  readonly ackWindow: number;
  readonly sendWindow: number;
  readonly maxHeaderLength: number;
  readonly maxHeaders: number;
  readonly maxDataLength: number;
}

/** The spec's defaults (wire-format.md) and ours. */
export const STOMP_DEFAULTS = {
  host: 'localhost',
  port: 61613,
  username: 'admin',
  password: 'password',
  prefix: '',
  heartbeat: 10,
  connectTimeout: 10,
  reconnect: RECONNECT_DEFAULTS,
  receipts: 'batched',
  sendTimeout: 60,
  stallTimeout: 30,
  ackWindow: 512,
  sendWindow: 4096,
  maxHeaderLength: 10240,
  maxHeaders: 1000,
  maxDataLength: 104857600,
} as const;

/** Spec option names (and the plain names of a site configuration block) for each option. */
const SETTING_NAMES: ReadonlyArray<readonly [keyof StompTransportOptions, readonly string[]]> = [
  ['host', ['host', 'stomp-host', '--stomp-host']],
  ['port', ['port', 'stomp-port', '--stomp-port']],
  ['username', ['username', 'user', 'stomp-user', '--stomp-user']],
  ['password', ['password', 'pass', 'stomp-pass', '--stomp-pass']],
  ['prefix', ['prefix', 'prfx', 'stomp-prfx', '--stomp-prfx']],
  ['conf', ['conf', 'stomp-conf', '--stomp-conf']],
];

const TUNING_NAMES = [
  'heartbeat',
  'connectTimeout',
  'reconnect',
  'receipts',
  'sendTimeout',
  'stallTimeout',
  'defaultPrefetch',
  'ackWindow',
  'sendWindow',
  'maxHeaderLength',
  'maxHeaders',
  'maxDataLength',
  'logger',
] as const;

/**
 * Turn the settings a registry factory receives (a site configuration block with plain names, or
 * `--stomp-*` flag names) into transport options.
 */
export function stompOptionsFromSettings(settings: TransportSettings): StompTransportOptions {
  return pickSettings(settings, SETTING_NAMES, TUNING_NAMES) as StompTransportOptions;
}

/**
 * Pick the `--stomp-*` options out of a command line (`--stomp-host h` or `--stomp-host=h`), leaving
 * the other arguments alone.
 */
export function stompOptionsFromArgs(argv: readonly string[]): StompTransportOptions {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const match = /^--stomp-(host|port|user|pass|prfx|conf)(?:=(.*))?$/s.exec(argv[i]);
    if (!match) continue;
    let value = match[2];
    if (value === undefined) {
      value = argv[i + 1];
      if (value === undefined) throw new TransportConfigError(`stomp transport: ${argv[i]} needs a value`);
      i++;
    }
    flags[`stomp-${match[1]}`] = value;
  }
  return stompOptionsFromSettings(flags);
}

/** Read the `[stomp]` section of an INI file (python-workflows' `--stomp-conf`). */
export function readStompConf(path: string): StompTransportOptions {
  return readIniSection(path, 'stomp', ['host', 'port', 'username', 'password', 'prefix'], 'stomp transport');
}

/** The option names {@link pairBrokerAddresses} quotes in STOMP's errors. */
const STOMP_ADDRESS_NAMES = {
  transport: 'stomp',
  hostFlag: '--stomp-host',
  portFlag: '--stomp-port',
} as const;

/** @deprecated Use `pairBrokerAddresses` from @zocalo/workflows (this is it, with STOMP's flag names). */
export function brokerAddresses(
  host: string | readonly string[],
  port: number | string | readonly number[],
): BrokerAddress[] {
  return pairBrokerAddresses(host, port, STOMP_ADDRESS_NAMES);
}

function number(name: string, value: unknown, { integer = false, allowZero = false } = {}): number {
  const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (
    typeof parsed !== 'number' ||
    Number.isNaN(parsed) ||
    (integer && Number.isFinite(parsed) && !Number.isInteger(parsed)) ||
    parsed < 0 ||
    (!allowZero && parsed === 0)
  ) {
    throw new TransportConfigError(
      `stomp transport: ${name} must be a ${integer ? 'whole ' : ''}number ${allowZero ? '>= 0' : '> 0'}, got ${String(value)}`,
    );
  }
  return parsed;
}

/** Text that goes into a CONNECT frame, which STOMP does not escape: no line breaks or NUL allowed. */
function frameSafe(name: string, value: unknown): string {
  const text = String(value);
  if (/[\r\n\0]/.test(text)) {
    throw new TransportConfigError(`stomp transport: ${name} must not contain line breaks or NUL characters`);
  }
  return text;
}

/** Apply defaults (defaults < INI file < explicit options) and check every value. */
export function resolveStompOptions(options: StompTransportOptions = {}): ResolvedStompOptions {
  const fromFile = options.conf ? readStompConf(options.conf) : {};
  const pick = <K extends 'host' | 'port' | 'username' | 'password' | 'prefix'>(key: K) =>
    options[key] ?? fromFile[key] ?? STOMP_DEFAULTS[key];
  const reconnect = resolveReconnect(options.reconnect, 'stomp');
  const receipts = options.receipts ?? STOMP_DEFAULTS.receipts;
  if (receipts !== 'batched' && receipts !== 'every') {
    throw new TransportConfigError(
      `stomp transport: receipts must be "batched" or "every", got ${String(receipts)}`,
    );
  }
  const prefix = frameSafe('prefix', pick('prefix'));
  if (prefix.includes(',')) {
    // ActiveMQ would read every prefixed name as a composite destination (see checkDestination).
    throw new TransportConfigError(
      `stomp transport: prefix ${JSON.stringify(prefix)} contains a comma, which ActiveMQ treats as a ` +
        'composite destination (several queues at once); give a prefix without a comma',
    );
  }
  return {
    // The order is kept: the first host is the preferred broker, the others are tried in turn.
    addresses: pairBrokerAddresses(pick('host'), pick('port'), STOMP_ADDRESS_NAMES).map((address) => ({
      host: frameSafe('host', address.host),
      port: address.port,
    })),
    username: frameSafe('username', pick('username')),
    password: frameSafe('password', pick('password')),
    prefix,
    heartbeatMs:
      1000 * number('heartbeat', options.heartbeat ?? STOMP_DEFAULTS.heartbeat, { allowZero: true }),
    connectTimeoutMs:
      1000 * number('connectTimeout', options.connectTimeout ?? STOMP_DEFAULTS.connectTimeout),
    reconnect,
    receipts,
    sendTimeoutMs: 1000 * number('sendTimeout', options.sendTimeout ?? STOMP_DEFAULTS.sendTimeout),
    stallTimeoutMs: 1000 * number('stallTimeout', options.stallTimeout ?? STOMP_DEFAULTS.stallTimeout),
    defaultPrefetch:
      options.defaultPrefetch === undefined
        ? undefined
        : number('defaultPrefetch', options.defaultPrefetch, { integer: true }),
    ackWindow: number('ackWindow', options.ackWindow ?? STOMP_DEFAULTS.ackWindow, { integer: true }),
    sendWindow: number('sendWindow', options.sendWindow ?? STOMP_DEFAULTS.sendWindow, { integer: true }),
    maxHeaderLength: number('maxHeaderLength', options.maxHeaderLength ?? STOMP_DEFAULTS.maxHeaderLength, {
      integer: true,
    }),
    maxHeaders: number('maxHeaders', options.maxHeaders ?? STOMP_DEFAULTS.maxHeaders, { integer: true }),
    maxDataLength: number('maxDataLength', options.maxDataLength ?? STOMP_DEFAULTS.maxDataLength, {
      integer: true,
    }),
  };
}

/**
 * The broker-side name of a queue or topic: the prefix plus `.` in front, when there is a prefix (a
 * prefix that already ends in `.` gets no second one, as in python-workflows).
 */
export function prefixed(prefix: string, name: string): string {
  if (prefix === '') return name;
  return prefix.endsWith('.') ? `${prefix}${name}` : `${prefix}.${name}`;
}
