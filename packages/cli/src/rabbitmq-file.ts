/**
 * The RabbitMQ configuration file of `zocalo rabbitmq configure`, in python-zocalo's
 * `configure_rabbitmq` format: `policies:` and `groups:` of queue names. Checked against a JSON schema
 * (ajv) so that a typo is an error naming the file, line and key rather than a queue declared wrong;
 * unlike Python, unknown keys are refused. Read as YAML 1.1, as PyYAML reads it.
 */
import Ajv from 'ajv';
import type { ErrorObject, JSONSchemaType } from 'ajv';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node } from 'yaml';
import { descriptor as amqp } from '@zocalo/transport-amqp/descriptor';
import { NotARegularFileError, readRegularFile } from '@zocalo/workflows';
import { CliError, EXIT_USAGE } from './cli-error';
import type { BindingSpec, DesiredState, ExchangeSpec, PolicySpec, QueueSpec } from './rabbitmq-plan';

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
  /** An exchange to bind each queue to, routing key = the queue's name. */
  bindings?: string;
  settings?: {
    queues?: { type?: 'classic' | 'quorum' };
    single_active_consumer?: boolean;
    /** The names are fanout exchanges, not queues. */
    broadcast?: boolean;
    /** Accepted as Python does; broadcast exchanges are fanout whatever it says. */
    exchanges?: { type?: string };
  };
}

export interface RabbitmqFile {
  policies?: PolicyEntry[];
  groups?: GroupEntry[];
}

const NAME = { type: 'string', minLength: 1 } as const;

const SCHEMA: JSONSchemaType<RabbitmqFile> = {
  type: 'object',
  additionalProperties: false,
  properties: {
    policies: {
      type: 'array',
      nullable: true,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'definition'],
        properties: {
          name: NAME,
          pattern: { type: 'string', nullable: true },
          definition: { type: 'object', required: [], minProperties: 1 },
          priority: { type: 'integer', nullable: true },
          'apply-to': {
            type: 'string',
            nullable: true,
            enum: ['queues', 'exchanges', 'all', 'classic_queues', 'quorum_queues', 'streams'],
          },
          vhost: { ...NAME, nullable: true },
        },
      },
    },
    groups: {
      type: 'array',
      nullable: true,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['names'],
        properties: {
          names: { type: 'array', minItems: 1, items: NAME },
          vhost: { ...NAME, nullable: true },
          bindings: { ...NAME, nullable: true },
          settings: {
            type: 'object',
            nullable: true,
            additionalProperties: false,
            properties: {
              queues: {
                type: 'object',
                nullable: true,
                additionalProperties: false,
                properties: { type: { type: 'string', nullable: true, enum: ['classic', 'quorum'] } },
              },
              single_active_consumer: { type: 'boolean', nullable: true },
              broadcast: { type: 'boolean', nullable: true },
              exchanges: {
                type: 'object',
                nullable: true,
                additionalProperties: false,
                properties: { type: { ...NAME, nullable: true } },
              },
            },
          },
        },
      },
    },
  },
};

let validator: ReturnType<Ajv['compile']> | undefined;

function validate(data: unknown): ErrorObject[] {
  validator ??= new Ajv({ strict: true, allErrors: true, verbose: true }).compile(SCHEMA);
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
        message: `must be ${TYPE_NAMES[String(params.type)] ?? String(params.type)}, got ${shown(error.data)}`,
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

/** Python's `get_queue_specs`: each name a durable queue dead-lettering to its `dlq.<name>` twin. */
function groupQueues(group: GroupEntry, vhost: string): QueueSpec[] {
  const type = group.settings?.queues?.type ?? 'classic';
  const singleActiveConsumer = group.settings?.single_active_consumer ?? false;
  const queue = (name: string, argumentsOf: Record<string, unknown>): QueueSpec => ({
    vhost,
    name,
    durable: true,
    autoDelete: false,
    arguments: argumentsOf,
  });
  return [
    ...group.names.map((name) =>
      queue(name, {
        'x-queue-type': type,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': deadLetterQueue(name),
        'x-single-active-consumer': singleActiveConsumer,
      }),
    ),
    ...group.names.map((name) => queue(deadLetterQueue(name), { 'x-queue-type': type })),
  ];
}

/** Adds items, dropping exact repeats; two different definitions of one name are an error. */
function addUnique<T extends { readonly vhost: string; readonly name: string }>(
  file: string,
  kind: string,
  into: Map<string, T>,
  items: readonly T[],
): void {
  for (const item of items) {
    const key = `${item.vhost}\u0000${item.name}`;
    const before = into.get(key);
    if (before && JSON.stringify(before) !== JSON.stringify(item)) {
      fail(`${file}: ${kind} ${item.name} in vhost ${item.vhost} is declared twice with different settings`);
    }
    into.set(key, item);
  }
}

/** What the file asks for, defaults applied; `file` names it in errors. */
export function desiredState(config: RabbitmqFile, file: string): DesiredState {
  const policies = new Map<string, PolicySpec>();
  const queues = new Map<string, QueueSpec>();
  const exchanges = new Map<string, ExchangeSpec>();
  const bindings: BindingSpec[] = [];
  addUnique(
    file,
    'policy',
    policies,
    (config.policies ?? []).map((policy) => ({
      vhost: policy.vhost ?? '/',
      name: policy.name,
      pattern: policy.pattern ?? '^amq.',
      definition: policy.definition,
      priority: policy.priority ?? 0,
      applyTo: policy['apply-to'] ?? 'queues',
    })),
  );
  for (const group of config.groups ?? []) {
    const vhost = group.vhost ?? '/';
    if (group.settings?.broadcast) {
      addUnique(
        file,
        'exchange',
        exchanges,
        group.names.map((name) => ({
          vhost,
          name,
          type: 'fanout',
          durable: true,
          autoDelete: false,
          arguments: {},
        })),
      );
      continue;
    }
    addUnique(file, 'queue', queues, groupQueues(group, vhost));
    const source = group.bindings;
    if (source !== undefined) {
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
    policies: [...policies.values()],
    queues: [...queues.values()],
    exchanges: [...exchanges.values()],
    bindings,
  };
}

/** The vhosts a desired state names, sorted. */
export function vhostsOf(state: DesiredState): string[] {
  const all = [...state.policies, ...state.queues, ...state.exchanges, ...state.bindings].map(
    (item) => item.vhost,
  );
  return [...new Set(all)].sort();
}

/** Only what is in `vhost`. */
export function inVhost(state: DesiredState, vhost: string): DesiredState {
  return {
    policies: state.policies.filter((item) => item.vhost === vhost),
    queues: state.queues.filter((item) => item.vhost === vhost),
    exchanges: state.exchanges.filter((item) => item.vhost === vhost),
    bindings: state.bindings.filter((item) => item.vhost === vhost),
  };
}
