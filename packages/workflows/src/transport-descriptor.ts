/**
 * What the rest of Zocalo knows about a transport without loading it: its names, the settings and
 * command-line flags it takes, its INI file section, how its broker names dead-letter queues, and the
 * broker objects it keeps for itself. Every transport package exports one (`descriptor`, also from a
 * light subpath `<package>/descriptor` that loads no broker client); the registry, the site
 * configuration, the command-line flags and the `zocalo` command read it instead of repeating it.
 *
 * This is public API: a third-party transport is usable by name, by flags, in a site file and by the
 * `zocalo` command once its descriptor is registered (`registerTransport(descriptor)`), or declared as
 * an entry point (`"zocalo": { "workflows.transport": { "<name>": "./dist/descriptor.js:descriptor" } }`
 * in its package.json), which the `zocalo` command loads.
 */
import { InvalidArgumentError } from './errors';
import type { Transport } from './transport';

/** Options a transport factory receives: the settings of its configuration block and flags. */
export type TransportSettings = Readonly<Record<string, unknown>>;

/**
 * The values a setting takes. It decides the JSON schema of the key in a site configuration block
 * and how text from a flag, an INI file or YAML is read:
 * - `string`: text;
 * - `text`: text, a number given (YAML reads `password: 1234` as one) turned into text;
 * - `port`: a port number (1-65535), numeric text turned into a number;
 * - `hosts`: a host name, or a list of them;
 * - `ports`: a port number, or a list of them;
 * - `count`: a positive integer.
 */
export type TransportSettingType = 'string' | 'text' | 'port' | 'hosts' | 'ports' | 'count';

/** One setting of a transport, as a site configuration block, a command-line flag and an INI file give it. */
export interface TransportSettingDescriptor {
  /** Its key in the settings the factory receives and in a site configuration block (`host`). */
  readonly key: string;
  readonly type: TransportSettingType;
  /** Its command-line flag, without dashes (`stomp-host`); none: configuration blocks only. */
  readonly flag?: string;
  /** The flag's value as help shows it (`host` for `--stomp-host <host>`). Default: the key. */
  readonly placeholder?: string;
  /** One line of help for the flag (`ActiveMQ host`). */
  readonly help?: string;
  /** Also read from the transport's INI section (python-workflows' credential files). */
  readonly ini?: boolean;
}

/** A JSON schema (draft 7, as ajv checks it), for the keys of a configuration block. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** An INI file of settings, as python-workflows reads `--stomp-conf` (section `[stomp]`). */
export interface TransportIniFile {
  /** The flag naming the file, without dashes (`stomp-conf`). */
  readonly flag: string;
  /** The section read (`stomp`); its keys are the settings marked `ini`. */
  readonly section: string;
}

/**
 * A prefix the transport puts in front of every queue and topic name (STOMP's `--stomp-prfx`), while
 * the broker's own names (its dead-letter queues, statistics destinations) stay outside it: tools that
 * name those connect without the prefix and apply it themselves.
 */
export interface DestinationPrefix {
  /** The prefix the settings resolve to (flags, plain names, INI file), `''` for none. */
  of(settings: TransportSettings): string;
  /** The settings with no prefix at all (an explicit empty one, which wins over an INI file's). */
  without(settings: TransportSettings): TransportSettings;
  /** A name under the prefix, as the transport sends to it. */
  apply(prefix: string, name: string): string;
}

/** Broker objects the transport keeps for itself (delayed messages not yet due): never to be pruned. */
export interface HoldingNames {
  /** Queues whose names start with one of these. */
  readonly queuePrefixes?: readonly string[];
  /** Exchanges (or topics) of these names. */
  readonly exchanges?: readonly string[];
}

/** Everything Zocalo knows about a transport without loading it. */
export interface TransportDescriptor {
  /**
   * The registry name (`stomp`, `amqp`): lower-case letters, digits, `-` and `_`. It is also the key
   * of the transport's settings in a configuration (`configuration.transports.<name>`).
   */
  readonly name: string;
  /**
   * Other names it is known by, same rules (`pika` for `amqp`, as python-workflows names it). A site
   * configuration block may name the transport by its name or any alias (`plugin: pika`), and so may
   * `--transport`. python-workflows' class names need no alias: `PikaTransport` is `pika` once the
   * `Transport` suffix and case are dropped.
   */
  readonly aliases?: readonly string[];
  /** One line for listings (`ActiveMQ over STOMP`). */
  readonly description?: string;
  /**
   * The broker product it speaks to (`activemq`, `rabbitmq`): tools that also talk to the broker beside
   * the transport (dead-letter counts through ActiveMQ's statistics plugin or RabbitMQ's management
   * API) pick their side by it. None: an embedded or unknown broker.
   */
  readonly broker?: string;
  /**
   * Make an unconnected transport. Import the transport's module here (`await import('./x-transport')`),
   * not at the top of the descriptor's module, so that knowing a transport never loads its client.
   */
  create(settings: TransportSettings): Transport | Promise<Transport>;
  /**
   * Where a transport made with these settings connects, for people: `127.0.0.1:61613 as admin`,
   * `any of rabbit1:5672, rabbit2:5672, vhost zocalo, as zocalo`. Never a password. The `zocalo`
   * commands print it on stderr before they connect; it may throw on settings `create` would refuse.
   */
  describe?(settings: TransportSettings): string;
  /** The settings of its configuration block and command-line flags. */
  readonly settings?: readonly TransportSettingDescriptor[];
  /** Its INI file of settings, if it reads one. */
  readonly iniFile?: TransportIniFile;
  /**
   * More keys of its configuration block, beyond those of `settings` (tuning knobs), as JSON schemas.
   * Keys not listed in either are allowed, unchecked, as in Python.
   */
  readonly configurationSchema?: Readonly<Record<string, JsonSchema>>;
  /**
   * Where the broker puts a queue's dead letters: this prefix and the queue name (`DLQ.` on ActiveMQ,
   * `dlq.` on RabbitMQ). None: the transport has no dead-letter queues to work on.
   */
  readonly deadLetterPrefix?: string;
  readonly destinationPrefix?: DestinationPrefix;
  readonly holding?: HoldingNames;
}

/** The dead-letter queue of `queue` on the descriptor's broker; a name that already is one is kept. */
export function deadLetterQueueOf(descriptor: TransportDescriptor, queue: string): string {
  const prefix = descriptor.deadLetterPrefix;
  if (prefix === undefined) {
    throw new InvalidArgumentError(`the ${descriptor.name} transport has no dead-letter queues`);
  }
  return queue.startsWith(prefix) ? queue : `${prefix}${queue}`;
}
