/**
 * The JSON schema of a recipe document (our addition to the Python rules), checked with ajv. The
 * schema itself ships as `schema/recipe.schema.json` (`@zocalo/recipes/schema.json`) for editors.
 */
import Ajv from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import schemaDocument from '../schema/recipe.schema.json';
import { RecipeValidationError } from './errors';

/** The recipe JSON schema (draft-07), as shipped in `schema/recipe.schema.json`. */
export const recipeSchema: Readonly<Record<string, unknown>> = schemaDocument;

let compiled: ValidateFunction | undefined;

let compiledAll: ValidateFunction | undefined;

function validator(): ValidateFunction {
  compiled ??= new Ajv({ strict: true, allowUnionTypes: true, allErrors: false }).compile(schemaDocument);
  return compiled;
}

/** Every schema problem of a document, not only the first (`Recipe.problems()`). */
export function recipeSchemaProblems(document: unknown): RecipeValidationError[] {
  compiledAll ??= new Ajv({ strict: true, allowUnionTypes: true, allErrors: true }).compile(schemaDocument);
  if (compiledAll(document)) return [];
  // A failed anyOf/oneOf reports each branch too: one message per place and rule is enough.
  const seen = new Set<string>();
  const problems: RecipeValidationError[] = [];
  for (const error of compiledAll.errors ?? []) {
    const message = `Invalid recipe: ${describeSchemaError(error)}`;
    if (seen.has(message)) continue;
    seen.add(message);
    problems.push(new RecipeValidationError('schema', message));
  }
  return problems;
}

/**
 * Check a recipe document (string step keys, as `Recipe.toJSON()` writes it) against the schema.
 * Throws a {@link RecipeValidationError} (rule `schema`) naming the place and the problem, e.g.
 * `Invalid recipe: step 2 "transport-delay" must be >= 0`.
 */
export function checkRecipeSchema(document: unknown): void {
  const validate = validator();
  if (validate(document)) return;
  const error = validate.errors![0];
  throw new RecipeValidationError('schema', `Invalid recipe: ${describeSchemaError(error)}`);
}

function describeSchemaError(error: ErrorObject): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  let where = 'the recipe';
  if (segments.length > 0) {
    const [top, ...rest] = segments;
    where = /^[0-9]+$/.test(top) ? `step ${top}` : `"${top}"`;
    for (const segment of rest) where += /^[0-9]+$/.test(segment) ? `[${segment}]` : ` "${segment}"`;
  }
  let message = error.message ?? `fails the schema rule ${error.keyword}`;
  if (error.keyword === 'type') message = `must be ${String(error.params.type).split(',').join(' or ')}`;
  if (error.keyword === 'additionalProperties') {
    message += ` (${JSON.stringify(String(error.params.additionalProperty))})`;
  }
  return `${where} ${message}`;
}
