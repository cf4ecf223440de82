/**
 * The JSON schema of a site configuration file (python-zocalo's `ConfigSchema` and `PluginSchema`),
 * checked with ajv; its errors become problems that name the file, the line and the key.
 */
import Ajv from 'ajv';
import type { ErrorObject, SchemaObject, ValidateFunction } from 'ajv';
import type { ConfigurationProblem } from './errors';
import type { KeyPath, YamlFile } from './yaml-file';

/** Top-level keys that are not plugin blocks. */
export const RESERVED_KEYS: readonly string[] = ['version', 'environments', 'include'];

/**
 * A configuration file: `version: 1`; `environments:` mapping a name to a list of block names, to a
 * mapping of groups (each a block name or a list of them), or to another environment's name (an
 * alias); `include:` a list of further files; every other key a plugin block (a mapping with a
 * `plugin:` key) or a path string to a file holding one.
 */
export const FILE_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['version'],
  properties: {
    version: { const: 1 },
    environments: {
      type: 'object',
      additionalProperties: {
        type: ['string', 'array', 'object'],
        items: { type: 'string' },
        additionalProperties: { type: ['string', 'array'], items: { type: 'string' } },
      },
    },
    include: { type: ['array', 'string'], items: { type: 'string' } },
  },
  additionalProperties: {
    type: ['string', 'object'],
    required: ['plugin'],
    properties: { plugin: { type: 'string', minLength: 1 } },
  },
};

/** A plugin block read from a file of its own (a block given as a path string). */
export const BLOCK_FILE_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['plugin'],
  properties: { plugin: { type: 'string', minLength: 1 } },
};

const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true, verbose: true });
const compiled = new WeakMap<SchemaObject, ValidateFunction>();

/** Compile a schema (strict ajv, once per schema object); throws when the schema itself is invalid. */
export function compile(schema: SchemaObject): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

function pointerToPath(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .split('/')
        .slice(1)
        .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function shown(value: unknown): string {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return JSON.stringify(value);
  return Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : typeof value;
}

function problemOf(source: YamlFile, base: KeyPath, error: ErrorObject): ConfigurationProblem {
  const path = [...base, ...pointerToPath(error.instancePath)];
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      const problem = source.problem(path, '');
      const message =
        missing === 'plugin'
          ? 'definition lacks the mandatory "plugin" key (a block is a mapping with "plugin: <name>", or a path string to a file holding one)'
          : `"${missing}" is required here`;
      return { ...problem, key: [...path, missing].join('.'), message };
    }
    case 'const':
      if (path.length === 1 && path[0] === 'version') {
        return source.problem(
          path,
          `this version of Zocalo does not understand v${String(error.data)} configurations; use "version: 1"`,
        );
      }
      return source.problem(path, `must be ${JSON.stringify(params.allowedValue)}, got ${shown(error.data)}`);
    case 'enum':
      return source.problem(
        path,
        `must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}, got ${shown(error.data)}`,
      );
    case 'type':
    case 'pattern':
    case 'minimum':
    case 'maximum': {
      // A schema's `description` says what a value must be ("a port number"), else ajv's words.
      const description = (error.parentSchema as SchemaObject | undefined)?.description;
      const expected =
        typeof description === 'string'
          ? description
          : error.keyword === 'type'
            ? String(params.type).replace(/,/g, ' or ')
            : undefined;
      return source.problem(
        path,
        `${expected ? `must be ${expected}` : (error.message ?? 'is invalid')}, got ${shown(error.data)}`,
      );
    }
    default:
      return source.problem(
        path,
        `${error.message ?? 'is invalid'}${error.data === undefined ? '' : `, got ${shown(error.data)}`}`,
      );
  }
}

/**
 * Check `data` (found at `base` in `source`) against `schema`; every violation becomes a located
 * problem. Returns an empty list when the data is valid.
 */
export function schemaProblems(
  schema: SchemaObject,
  data: unknown,
  source: YamlFile,
  base: KeyPath = [],
): ConfigurationProblem[] {
  const validate = compile(schema);
  if (validate(data)) return [];
  return (validate.errors ?? []).map((error) => problemOf(source, base, error));
}
