/**
 * Options of the AMQP transport: the spec's `--rabbit-*` settings (wire-format.md, "AMQP 0-9-1"), the
 * `[rabbit]` INI file, host and port lists, and the transport's own tuning knobs with their defaults.
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
  uniqueHostId,
} from '@zocalo/workflows';

/** How a delayed message is held back (see delayed-delivery.ts). */
export type DelayMode = 'auto' | 'plugin' | 'queues';

/** How `nack(..., {requeue: false})` dead-letters a message of an existing queue (see dead-letter.ts). */
export type DeadLetterMode = 'self' | 'broker';

export type { ReconnectOptions } from '@zocalo/workflows';

export interface AmqpTransportOptions extends CommonTransportOptions {
  /** Broker host, or several: a list or a comma-separated string. Default `localhost`. */
  readonly host?: string | readonly string[];
  /** One port for all hosts, or one per host (list or comma-separated). Default 5672. */
  readonly port?: number | string | readonly number[];
  /** Default `guest`. */
  readonly username?: string;
  /** Default `guest`. */
  readonly password?: string;
  /** Default `/`. */
  readonly vhost?: string;
  /** An INI file with section `[rabbit]` (host, port, username, password, vhost), read once here. */
  readonly conf?: string;
  /**
   * AMQP heart-beat in seconds (the broker may lower it); 0 disables. A link that reads nothing for
   * two intervals (RabbitMQ beats every half interval) is dropped and reconnected. Default 20, so a
   * silent link is found within 40 s, inside the default `sendTimeout` (RabbitMQ's own default of
   * 60 would take two minutes).
   */
  readonly heartbeat?: number;
  /** Give up a connection attempt after this many seconds. Default 10. */
  readonly connectTimeout?: number;
  /**
   * TCP_NODELAY: send small frames (acks, confirms) at once rather than coalescing them (Nagle).
   * Default true, as the Java and Python AMQP clients do (amqplib alone defaults to false): lower
   * latency per hop, a little more CPU per message.
   */
  readonly noDelay?: boolean;
  /** Prefetch of subscriptions with acknowledgement that do not set one. Default 1. */
  readonly defaultPrefetch?: number;
  /** Declare a queue a subscriber asks for when it does not exist. Default true. */
  readonly declareQueues?: boolean;
  /** Type of the queues this transport declares (service, dead-letter and delay queues). Default quorum. */
  readonly queueType?: 'quorum' | 'classic';
  /**
   * `x-delivery-limit` of the quorum service queues this transport declares: a message delivered
   * more often than this (released, or its consumer gone) is dead-lettered to `dlq.<queue>` by the
   * broker. Default 20, RabbitMQ 4's own default (3.x has none: a message that kills every consumer
   * would come back for ever). 0: no limit. Queues that exist already keep their arguments.
   */
  readonly deliveryLimit?: number;
  /** `auto` (default): the `delayed` exchange when it exists, else holding queues. */
  readonly delayMode?: DelayMode;
  /**
   * `self` (default): a rejected message of a queue this transport did not declare is copied to
   * `dlq.<queue>` (with an `x-death` entry) and then acked. `broker`: trust every queue to have a
   * dead-letter exchange (as python-zocalo's configure_rabbitmq sets up) and reject it natively.
   */
  readonly deadLetter?: DeadLetterMode;
  /** Reconnect after a dropped connection (default on), or `false` to report `disconnected` at once. */
  readonly reconnect?: ReconnectOptions | false;
  /**
   * A send the broker has not confirmed this many seconds after it was made (waiting for a
   * reconnection, or unconfirmed on a link that stays up) is rejected with a `ConnectionError`
   * saying so; it may still arrive. Default 60, as the STOMP transport.
   */
  readonly sendTimeout?: number;
  /**
   * Shown for the connections in RabbitMQ's management UI, followed by ` publish` / ` consume`.
   * Default `zocalo <unique host id>`.
   */
  readonly connectionName?: string;
}

export type { BrokerAddress } from '@zocalo/workflows';

/** Everything the transport needs, defaults applied and checked. */
export interface ResolvedAmqpOptions {
  readonly addresses: readonly BrokerAddress[];
  readonly username: string;
  readonly password: string;
  readonly vhost: string;
  readonly heartbeat: number;
  readonly connectTimeout: number;
  readonly noDelay: boolean;
  readonly defaultPrefetch: number;
  readonly declareQueues: boolean;
  readonly queueType: 'quorum' | 'classic';
  readonly deliveryLimit: number;
  readonly delayMode: DelayMode;
  readonly deadLetter: DeadLetterMode;
  readonly reconnect: ReconnectPolicy | false;
  /** {@link AmqpTransportOptions.sendTimeout} in milliseconds. */
  readonly sendTimeoutMs: number;
  readonly connectionName: string;
}

export const AMQP_DEFAULTS = {
  host: 'localhost',
  port: 5672,
  username: 'guest',
  password: 'guest',
  vhost: '/',
  heartbeat: 20,
  connectTimeout: 10,
  defaultPrefetch: 1,
  deliveryLimit: 20,
  reconnect: RECONNECT_DEFAULTS,
  sendTimeout: 60,
} as const;

/** The setting names of the spec, with the plain names a site configuration block uses. */
const SETTING_NAMES: ReadonlyArray<readonly [keyof AmqpTransportOptions, readonly string[]]> = [
  ['host', ['host', '--rabbit-host', 'rabbit-host']],
  ['port', ['port', '--rabbit-port', 'rabbit-port']],
  ['username', ['username', 'user', '--rabbit-user', 'rabbit-user']],
  ['password', ['password', 'pass', '--rabbit-pass', 'rabbit-pass']],
  ['vhost', ['vhost', '--rabbit-vhost', 'rabbit-vhost']],
  ['conf', ['conf', '--rabbit-conf', 'rabbit-conf']],
];

/** Tuning options accepted from settings under their own names. */
const TUNING_NAMES = [
  'heartbeat',
  'connectTimeout',
  'noDelay',
  'defaultPrefetch',
  'declareQueues',
  'queueType',
  'deliveryLimit',
  'delayMode',
  'deadLetter',
  'reconnect',
  'sendTimeout',
  'connectionName',
  'logger',
] as const;

/**
 * Turn the settings a registry factory receives (a site configuration block with plain names, or
 * `--rabbit-*` flags) into transport options.
 */
export function amqpOptionsFromSettings(settings: TransportSettings): AmqpTransportOptions {
  return pickSettings(settings, SETTING_NAMES, TUNING_NAMES) as AmqpTransportOptions;
}

/** Read the `[rabbit]` section of an INI file (python-workflows' `--rabbit-conf`). */
export function readRabbitConf(path: string): AmqpTransportOptions {
  return readIniSection(path, 'rabbit', ['host', 'port', 'username', 'password', 'vhost'], 'amqp transport');
}

/**
 * Pair hosts with ports as python-workflows does: one port serves all hosts, otherwise one port per
 * host. The order is shuffled once, to spread clients over the brokers.
 */
export function shuffledBrokerAddresses(
  host: string | readonly string[],
  port: number | string | readonly number[],
  random: () => number = Math.random,
): BrokerAddress[] {
  const addresses = pairBrokerAddresses(host, port, {
    transport: 'amqp',
    hostFlag: '--rabbit-host',
    portFlag: '--rabbit-port',
  });
  for (let i = addresses.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [addresses[i], addresses[j]] = [addresses[j], addresses[i]];
  }
  return addresses;
}

/** @deprecated Use {@link shuffledBrokerAddresses} (`pairBrokerAddresses` in @zocalo/workflows keeps the order). */
export const brokerAddresses = shuffledBrokerAddresses;

function positive(name: string, value: unknown, integer: boolean, allowZero = false): number {
  const number = typeof value === 'string' ? Number(value) : value;
  if (
    typeof number !== 'number' ||
    !Number.isFinite(number) ||
    (integer && !Number.isInteger(number)) ||
    number < 0 ||
    (!allowZero && number === 0)
  ) {
    throw new TransportConfigError(
      `amqp transport: ${name} must be a ${integer ? 'whole ' : ''}number ${allowZero ? '>= 0' : '> 0'}, got ${String(value)}`,
    );
  }
  return number;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new TransportConfigError(
    `amqp transport: ${name} must be one of ${allowed.join(', ')}, got ${String(value)}`,
  );
}

/** Apply defaults (defaults < INI file < explicit options) and check every value. */
export function resolveAmqpOptions(options: AmqpTransportOptions = {}): ResolvedAmqpOptions {
  const fromFile = options.conf ? readRabbitConf(options.conf) : {};
  const pick = <K extends 'host' | 'port' | 'username' | 'password' | 'vhost'>(key: K) =>
    options[key] ?? fromFile[key] ?? AMQP_DEFAULTS[key];
  const reconnect = resolveReconnect(options.reconnect, 'amqp');
  return {
    addresses: shuffledBrokerAddresses(pick('host'), pick('port')),
    username: String(pick('username')),
    password: String(pick('password')),
    vhost: String(pick('vhost')),
    heartbeat: positive('heartbeat', options.heartbeat ?? AMQP_DEFAULTS.heartbeat, true, true),
    connectTimeout: positive('connectTimeout', options.connectTimeout ?? AMQP_DEFAULTS.connectTimeout, false),
    noDelay: options.noDelay !== false,
    defaultPrefetch: positive(
      'defaultPrefetch',
      options.defaultPrefetch ?? AMQP_DEFAULTS.defaultPrefetch,
      true,
    ),
    declareQueues: options.declareQueues !== false,
    queueType: oneOf('queueType', options.queueType, ['quorum', 'classic'], 'quorum'),
    deliveryLimit: positive(
      'deliveryLimit',
      options.deliveryLimit ?? AMQP_DEFAULTS.deliveryLimit,
      true,
      true,
    ),
    delayMode: oneOf('delayMode', options.delayMode, ['auto', 'plugin', 'queues'], 'auto'),
    deadLetter: oneOf('deadLetter', options.deadLetter, ['self', 'broker'], 'self'),
    reconnect,
    sendTimeoutMs: 1000 * positive('sendTimeout', options.sendTimeout ?? AMQP_DEFAULTS.sendTimeout, false),
    connectionName: options.connectionName ?? `zocalo ${uniqueHostId()}`,
  };
}
