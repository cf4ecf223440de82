/**
 * The RabbitMQ configuration file of `zocalo rabbitmq configure`, in python-zocalo's
 * `configure_rabbitmq` format: `vhosts:`, `permissions:`, `exchanges:`, `bindings:`, `policies:` and
 * `groups:` of queue names. Checked against a JSON schema (ajv) so that a typo is an error naming the
 * file, line and key rather than a queue declared wrong; unlike Python, unknown keys are refused. Read
 * as YAML 1.1, as PyYAML reads it.
 */
import Ajv from 'ajv';
import type { ErrorObject } from 'ajv';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import { descriptor as amqp } from '@zocalo/transport-amqp/descriptor';
import { NotARegularFileError, readRegularFile } from '@zocalo/workflows';
import { CliError, EXIT_USAGE } from './cli-error';
import type {
  BindingSpec,
  DesiredState,
  ExchangeSpec,
  PermissionSpec,
  PolicySpec,
  QueueSpec,
  VhostSpec,
} from './rabbitmq-plan';

/** A `vhosts:` entry. */
export interface VhostEntry {
  name: string;
  /** Default `''`. */
  description?: string;
  /** Default none. */
  tags?: string[];
  /** Default false. */
  tracing?: boolean;
}

/** A `permissions:` entry: a user's permissions in a vhost. */
export interface PermissionEntry {
  user: string;
  vhost: string;
  configure: string;
  write: string;
  read: string;
}

/** An `exchanges:` entry (python-zocalo's `ExchangeSpec`). */
export interface ExchangeEntry {
  name: string;
  vhost: string;
  /** `direct`, `fanout`, `topic`, `headers`, or a plugin's (`x-delayed-message`). */
  type: string;
  /** Default false, as in python-zocalo (which leaves it to the broker, whose default is false). */
  durable?: boolean;
  /** Default false. */
  auto_delete?: boolean;
  /** Default false. */
  internal?: boolean;
  /** Default none. */
  arguments?: Record<string, unknown>;
}

/** A `bindings:` entry (python-zocalo's `BindingSpec`). */
export interface BindingEntry {
  /** The exchange. */
  source: string;
  destination: string;
  vhost: string;
  /** `q` (a queue, the default) or `e` (an exchange). */
  destination_type?: 'q' | 'e';
  /** Default: the destination's name. */
  routing_key?: string;
  /** Default none. */
  arguments?: Record<string, unknown>;
}

/** A policy entry of the file. */
export interface PolicyEntry {
  name: string;
  /** Default `^amq.` (Python's default: matches nothing of ours). */
  pattern?: string;
  definition: Record<string, unknown>;
  /** Default 0. */
  priority?: number;
  /** Default `queues`. */
  'apply-to'?: string;
  /** Default `/`. */
  vhost?: string;
}

/** A group entry of the file: queues with the same settings, or broadcast exchanges. */
export interface GroupEntry {
  names: string[];
  /** Default `/`. */
  vhost?: string;
  /**
   * The exchanges to bind each queue to, routing key = the queue's name; `''` is the default exchange,
   * which binds every queue so by itself. One name is taken as a list of one.
   */
  bindings?: string | string[];
  settings?: {
    queues?: {
      /** Default `classic`. */
      type?: 'classic' | 'quorum' | 'stream';
      /**
       * Dead-letter each queue to this routing key, `{name}` standing for the queue's name
       * (`dlq.{name}`), and declare that queue (unless `dead-letter-queue-create: false`).
       */
      'dead-letter-routing-key-pattern'?: string;
      /** The exchange dead letters go to. Default `''`, the default exchange. */
      'dead-letter-exchange'?: string;
      /** Default true. */
      'dead-letter-queue-create'?: boolean;
    };
    /** Default false; not set on streams, which refuse it. */
    single_active_consumer?: boolean;
    /** The names are fanout exchanges, not queues. */
    broadcast?: boolean;
    /** Accepted as Python does; broadcast exchanges are fanout whatever it says. */
    exchanges?: { type?: string };
  };
}

/**
 * The file: python-zocalo's `configure_rabbitmq` format. A file with a top-level `exchanges:` key (which
 * python-zocalo 1.x requires) is read as python-zocalo reads it; one without (this command's earlier
 * format, python-zocalo's before 0.17) gives every queue of a group a `dlq.<name>` dead-letter queue
 * unless it names a `dead-letter-routing-key-pattern`.
 */
export interface RabbitmqFile {
  vhosts?: VhostEntry[];
  permissions?: PermissionEntry[];
  exchanges?: ExchangeEntry[];
  bindings?: BindingEntry[];
  policies?: PolicyEntry[];
  groups?: GroupEntry[];
}

const NAME = { type: 'string', minLength: 1 } as const;
const TEXT = { type: 'string' } as const;
/** A mapping whose values are anything (queue, exchange and binding arguments). */
const ARGUMENTS = { type: 'object' } as const;

function entry(required: readonly string[], properties: Record<string, object>): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, required, properties };
}

function list(item: object): object {
  return { type: ['array', 'null'], items: item };
}

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    vhosts: list(
      entry(['name'], {
        name: NAME,
        description: TEXT,
        tags: { type: 'array', items: NAME },
        tracing: { type: 'boolean' },
      }),
    ),
    permissions: list(
      entry(['user', 'vhost', 'configure', 'write', 'read'], {
        user: NAME,
        vhost: NAME,
        configure: TEXT,
        write: TEXT,
        read: TEXT,
      }),
    ),
    exchanges: list(
      entry(['name', 'vhost', 'type'], {
        name: NAME,
        vhost: NAME,
        type: NAME,
        durable: { type: 'boolean' },
        auto_delete: { type: 'boolean' },
        internal: { type: 'boolean' },
        arguments: ARGUMENTS,
      }),
    ),
    bindings: list(
      entry(['source', 'destination', 'vhost'], {
        source: TEXT,
        destination: NAME,
        vhost: NAME,
        destination_type: { type: 'string', enum: ['q', 'e'] },
        routing_key: TEXT,
        arguments: ARGUMENTS,
      }),
    ),
    policies: list(
      entry(['name', 'definition'], {
        name: NAME,
        pattern: TEXT,
        definition: { type: 'object', minProperties: 1 },
        priority: { type: 'integer' },
        'apply-to': {
          type: 'string',
          enum: ['queues', 'exchanges', 'all', 'classic_queues', 'quorum_queues', 'streams'],
        },
        vhost: NAME,
      }),
    ),
    groups: list(
      entry(['names'], {
        names: { type: 'array', minItems: 1, items: NAME },
        vhost: NAME,
        bindings: { type: ['string', 'array'], items: TEXT },
        settings: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: {
            queues: {
              type: ['object', 'null'],
              additionalProperties: false,
              properties: {
                type: { type: 'string', enum: ['classic', 'quorum', 'stream'] },
                'dead-letter-routing-key-pattern': NAME,
                'dead-letter-exchange': TEXT,
                'dead-letter-queue-create': { type: 'boolean' },
              },
            },
            single_active_consumer: { type: 'boolean' },
            broadcast: { type: 'boolean' },
            exchanges: {
              type: ['object', 'null'],
              additionalProperties: false,
              properties: { type: NAME },
            },
          },
        },
      }),
    ),
  },
};

let validator: ReturnType<Ajv['compile']> | undefined;

function validate(data: unknown): ErrorObject[] {
  validator ??= new Ajv({ strict: true, allowUnionTypes: true, allErrors: true, verbose: true }).compile(
    SCHEMA,
  );
  return validator(data) ? [] : (validator.errors ?? []);
}

function shown(value: unknown): string {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return JSON.stringify(value);
  return Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : typeof value;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  array: 'a list',
  object: 'a mapping',
  string: 'a string',
  integer: 'an integer',
  boolean: 'true or false',
};

/** An ajv error as `key: what is wrong`, and the key path it is about. */
function explain(error: ErrorObject): { path: string[]; message: string } {
  const path =
    error.instancePath === ''
      ? []
      : error.instancePath
          .slice(1)
          .split('/')
          .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { path: [...path, String(params.missingProperty)], message: 'is required here' };
    case 'additionalProperties':
      return {
        path: [...path, String(params.additionalProperty)],
        message: `is not a key of this format (known: ${Object.keys((error.parentSchema as { properties: object }).properties).join(', ')})`,
      };
    case 'enum':
      return {
        path,
        message: `must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}, got ${shown(error.data)}`,
      };
    case 'minProperties':
      return { path, message: 'must not be empty' };
    case 'type':
      return {
        path,
        message: `must be ${String(params.type)
          .split(',')
          .filter((type) => type !== 'null')
          .map((type) => TYPE_NAMES[type] ?? type)
          .join(' or ')}, got ${shown(error.data)}`,
      };
    default:
      return { path, message: `${error.message ?? 'is invalid'}, got ${shown(error.data)}` };
  }
}

/** `file:line:column` of the deepest part of `path` found in the document: a mapping's key, a list's item. */
function where(file: string, document: Document, lines: LineCounter, path: readonly string[]): string {
  let node: unknown = document.contents;
  let offset = (node as Node | null)?.range?.[0];
  for (const segment of path) {
    if (isSeq(node)) {
      node = node.items[Number(segment)];
      offset = (node as Node | undefined)?.range?.[0] ?? offset;
    } else if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === segment);
      if (!pair) break;
      offset = (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else break;
  }
  if (offset === undefined) return file;
  const { line, col } = lines.linePos(offset);
  return `${file}:${line}:${col}`;
}

function fail(message: string): never {
  throw new CliError(message, EXIT_USAGE);
}

/** Read and check a configuration file; any problem is a {@link CliError} (exit 2) naming file and key. */
export function readRabbitmqFile(file: string): RabbitmqFile {
  let text: string;
  try {
    text = readRegularFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail(
      `cannot read ${file}: ${
        error instanceof NotARegularFileError
          ? error.description
          : code === 'ENOENT'
            ? 'no such file'
            : (error as Error).message
      }`,
    );
  }
  return parseRabbitmqFile(text, file);
}

/** Parse and check the text of a configuration file (`file` names it in errors). */
export function parseRabbitmqFile(text: string, file: string): RabbitmqFile {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, version: '1.1', prettyErrors: false });
  if (document.errors.length > 0) {
    const [error] = document.errors;
    const { line, col } = lines.linePos(error.pos[0]);
    fail(`${file}:${line}:${col}: not valid YAML: ${error.message.split('\n')[0]}`);
  }
  const data: unknown = document.toJS() ?? {};
  const errors = validate(data);
  if (errors.length > 0) {
    // The first few: one line stays readable, and fixing those usually shows the rest.
    const problems = errors.slice(0, 3).map((error) => {
      const { path, message } = explain(error);
      const key = path.length > 0 ? `${path.join('.')}: ` : '';
      return `${where(file, document, lines, path)}: ${key}${message}`;
    });
    const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : '';
    fail(`${problems.join('; ')}${more}`);
  }
  return data as RabbitmqFile;
}

/** A queue's dead-letter twin, as the AMQP transport names it (`dlq.<name>`, even for a `dlq.` name). */
function deadLetterQueue(name: string): string {
  return `${amqp.deadLetterPrefix ?? ''}${name}`;
}

/**
 * Python's `pattern.format(name=name)` for a dead-letter routing key pattern: `{name}` is the queue's
 * name, `{{` and `}}` are braces; any other field is an error, as in Python.
 */
function formatPattern(file: string, pattern: string, name: string): string {
  return pattern.replace(/\{\{|\}\}|\{([^{}]*)\}|[{}]/g, (whole: string, field: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    if (field === 'name') return name;
    return fail(
      `${file}: dead-letter-routing-key-pattern ${JSON.stringify(pattern)}: only {name} may stand in braces ` +
        '(write {{ and }} for braces themselves)',
    );
  });
}

/**
 * Python's `get_queue_specs`: each name a durable queue of the group's type, dead-lettering as the
 * group says, and its dead-letter queue. `legacy`: a file without `exchanges:` (this command's earlier
 * format), whose queues dead-letter to `dlq.<name>` without a pattern.
 */
function groupQueues(file: string, group: GroupEntry, vhost: string, legacy: boolean): QueueSpec[] {
  const settings = group.settings?.queues ?? {};
  const type = settings.type ?? 'classic';
  const pattern = settings['dead-letter-routing-key-pattern'];
  const deadLetterExchange = settings['dead-letter-exchange'] ?? '';
  const create = settings['dead-letter-queue-create'] ?? true;
  const singleActiveConsumer = group.settings?.single_active_consumer ?? false;
  const deadLetterOf = (name: string): string | undefined =>
    pattern !== undefined ? formatPattern(file, pattern, name) : legacy ? deadLetterQueue(name) : undefined;
  const queue = (name: string, argumentsOf: Record<string, unknown>): QueueSpec => ({
    vhost,
    name,
    durable: true,
    autoDelete: false,
    arguments: argumentsOf,
  });
  const queues = group.names.map((name) => {
    const deadLetter = deadLetterOf(name);
    return queue(name, {
      'x-queue-type': type,
      // Streams refuse single-active-consumer (python-zocalo leaves it out for them).
      ...(type === 'stream' ? {} : { 'x-single-active-consumer': singleActiveConsumer }),
      ...(deadLetter === undefined
        ? {}
        : { 'x-dead-letter-exchange': deadLetterExchange, 'x-dead-letter-routing-key': deadLetter }),
    });
  });
  if (!create) return queues;
  const deadLetters = group.names
    .map(deadLetterOf)
    .filter((name): name is string => name !== undefined)
    .map((name) => queue(name, { 'x-queue-type': type }));
  return [...queues, ...deadLetters];
}

/** Adds items, dropping exact repeats; two different definitions of one name are an error. */
function addUnique<T extends object>(
  file: string,
  into: Map<string, T>,
  items: readonly T[],
  /** What names the item, as the error says it: `queue q in vhost v`. */
  label: (item: T) => string,
): void {
  for (const item of items) {
    const id = label(item);
    const before = into.get(id);
    if (before && JSON.stringify(before) !== JSON.stringify(item)) {
      fail(`${file}: ${id} is declared twice with different settings`);
    }
    into.set(id, item);
  }
}

/** `<kind> <name> in vhost <vhost>`. */
const inVhostLabel =
  (kind: string) =>
  (item: { readonly vhost: string; readonly name: string }): string =>
    `${kind} ${item.name} in vhost ${item.vhost}`;

/** What the file asks for, defaults applied as python-zocalo applies them; `file` names it in errors. */
export function desiredState(config: RabbitmqFile, file: string): DesiredState {
  const legacy = !('exchanges' in config);
  const vhosts = new Map<string, VhostSpec>();
  const permissions = new Map<string, PermissionSpec>();
  const policies = new Map<string, PolicySpec>();
  const queues = new Map<string, QueueSpec>();
  const exchanges = new Map<string, ExchangeSpec>();
  const bindings: BindingSpec[] = [];
  addUnique(
    file,
    vhosts,
    (config.vhosts ?? []).map((vhost) => ({
      name: vhost.name,
      description: vhost.description ?? '',
      tags: vhost.tags ?? [],
      tracing: vhost.tracing ?? false,
    })),
    (vhost) => `vhost ${vhost.name}`,
  );
  addUnique(
    file,
    permissions,
    (config.permissions ?? []).map(({ vhost, user, configure, write, read }) => ({
      vhost,
      user,
      configure,
      write,
      read,
    })),
    (permission) => `permission of user ${permission.user} in vhost ${permission.vhost}`,
  );
  addUnique(
    file,
    policies,
    (config.policies ?? []).map((policy) => ({
      vhost: policy.vhost ?? '/',
      name: policy.name,
      pattern: policy.pattern ?? '^amq.',
      definition: policy.definition,
      priority: policy.priority ?? 0,
      applyTo: policy['apply-to'] ?? 'queues',
    })),
    inVhostLabel('policy'),
  );
  addUnique(
    file,
    exchanges,
    (config.exchanges ?? []).map((exchange) => ({
      vhost: exchange.vhost,
      name: exchange.name,
      type: exchange.type,
      durable: exchange.durable ?? false,
      autoDelete: exchange.auto_delete ?? false,
      internal: exchange.internal ?? false,
      arguments: exchange.arguments ?? {},
    })),
    inVhostLabel('exchange'),
  );
  for (const binding of config.bindings ?? []) {
    bindings.push({
      vhost: binding.vhost,
      source: binding.source,
      destination: binding.destination,
      destinationType: binding.destination_type === 'e' ? 'exchange' : 'queue',
      routingKey: binding.routing_key ?? binding.destination,
      arguments: binding.arguments ?? {},
    });
  }
  for (const group of config.groups ?? []) {
    const vhost = group.vhost ?? '/';
    if (group.settings?.broadcast) {
      addUnique(
        file,
        exchanges,
        group.names.map((name) => ({
          vhost,
          name,
          type: 'fanout',
          durable: true,
          autoDelete: false,
          internal: false,
          arguments: {},
        })),
        inVhostLabel('exchange'),
      );
      continue;
    }
    addUnique(file, queues, groupQueues(file, group, vhost, legacy), inVhostLabel('queue'));
    // Python binds to the default exchange when a group names none: RabbitMQ does so by itself.
    const sources =
      group.bindings === undefined ? (legacy ? [] : ['']) : ([] as string[]).concat(group.bindings);
    for (const source of sources) {
      for (const name of group.names) {
        bindings.push({
          vhost,
          source,
          destination: name,
          destinationType: 'queue',
          routingKey: name,
          arguments: {},
        });
      }
    }
  }
  return {
    vhosts: [...vhosts.values()],
    permissions: [...permissions.values()],
    policies: [...policies.values()],
    queues: [...queues.values()],
    exchanges: [...exchanges.values()],
    bindings,
  };
}

/** The vhosts a desired state names (in `vhosts:` or as the vhost of anything), sorted. */
export function vhostsOf(state: DesiredState): string[] {
  const all = [
    ...(state.vhosts ?? []).map((vhost) => vhost.name),
    ...[
      ...(state.permissions ?? []),
      ...state.policies,
      ...state.queues,
      ...state.exchanges,
      ...state.bindings,
    ].map((item) => item.vhost),
  ];
  return [...new Set(all)].sort();
}

/** Only what is in `vhost` (and the users, which are the broker's, not a vhost's). */
export function inVhost(state: DesiredState, vhost: string): DesiredState {
  return {
    users: state.users,
    vhosts: state.vhosts?.filter((item) => item.name === vhost),
    permissions: state.permissions?.filter((item) => item.vhost === vhost),
    policies: state.policies.filter((item) => item.vhost === vhost),
    queues: state.queues.filter((item) => item.vhost === vhost),
    exchanges: state.exchanges.filter((item) => item.vhost === vhost),
    bindings: state.bindings.filter((item) => item.vhost === vhost),
  };
}
