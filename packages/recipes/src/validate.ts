/**
 * Recipe validation: python-workflows' rules in its order and with its exact messages, then ours.
 *
 * The Python rules are a port of `Recipe.validate()` in python-workflows
 * (`src/workflows/recipe/recipe.py`): the same checks in the same order, the same depth-first walk
 * (from each start entry in order, then from `error`; per step `output` before `error`; each link
 * list flattened before any of it is followed) and the same text, built with Python's `str()` of
 * the path list: `Invalid recipe: Node "3" is referenced via "['start', 1, 2]" but missing`.
 */
import { RecipeValidationError } from './errors';
import type { RecipeRule } from './errors';
import { hasOwn, isPlainObject, ownValue } from './json';
import { pyStr } from './python-repr';
import { checkRecipeSchema, recipeSchemaProblems } from './schema';
import type { RecipeKey } from './types';

/** The loaded top-level entries of a recipe, in Python's dict order. */
export type RecipeNodes = ReadonlyMap<RecipeKey, unknown>;

export interface ValidateOptions {
  /**
   * `full` (default): the Python rules, then the JSON schema and the check that every step has a
   * `queue` or `topic`. `python`: the Python rules only, exactly what a python-workflows service
   * accepts.
   */
  readonly level?: 'full' | 'python';
}

export interface ProblemsOptions extends ValidateOptions {
  /**
   * Add to python-workflows' text of a missing step which step, and which of its fields, points at
   * it (`…but missing: step 2's "output" points at it, and the recipe has no step 3`). Default false:
   * Python's words exactly.
   */
  readonly explain?: boolean;
}

function fail(rule: RecipeRule, message: string): never {
  throw new RecipeValidationError(rule, `Invalid recipe: ${message}`);
}

/** Python truthiness of JSON data: `None`, `False`, `0`, `""`, `[]` and `{}` are false. */
function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isPlainObject(value)) return Object.keys(value).length > 0;
  return true;
}

/** Python's `int`, which our loader gives to numeric step keys and which links must be. */
function isInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

/** Python's `needle in haystack` for the list-or-string `error` entry. */
function pyContains(haystack: unknown[] | string, needle: string): boolean {
  return typeof haystack === 'string' ? haystack.includes(needle) : haystack.includes(needle);
}

/**
 * Python's `flatten_links`: a link object, list or dict as a flat list of step numbers. Named
 * outputs may nest (`{"a": {"b": 3}}`); an explicit stack keeps any depth off the call stack.
 */
function flattenLinks(struct: unknown): number[] {
  const out: number[] = [];
  const pending: unknown[] = [struct];
  while (pending.length > 0) {
    const item = pending.pop();
    if (item === null) continue;
    if (isInt(item)) out.push(item);
    else if (Array.isArray(item)) {
      if (!item.every(isInt)) fail('invalid-link', `Invalid link in recipe (${pyStr(item)})`);
      for (const link of item as number[]) out.push(link);
    } else if (isPlainObject(item)) {
      // pushed in reverse so that they are taken in order
      const values = Object.values(item);
      for (let i = values.length - 1; i >= 0; i--) pending.push(values[i]);
    } else fail('invalid-link', `Invalid link in recipe (${pyStr(item)})`);
  }
  return out;
}

/**
 * The rules of python-workflows' `Recipe.validate()`, in its order. `explain` adds, to Python's text of
 * a missing step, which step (and which of its fields) points at it.
 */
export function checkPythonRules(nodes: RecipeNodes, explain = false): void {
  if (nodes.size === 0) fail('no-recipe', 'No recipe defined');

  // Without a 'start' node nothing would happen
  if (!nodes.has('start')) fail('start-missing', '"start" node missing');
  const start = nodes.get('start');
  if (!truthy(start)) fail('start-empty', '"start" node empty');
  if (!Array.isArray(start) || !start.every((entry) => Array.isArray(entry) && entry.length === 2)) {
    fail('start-invalid', '"start" node invalid');
  }
  const entries = start as unknown[][];
  if (entries.some((entry) => entry[0] === 'start')) fail('start-self', '"start" node points to itself');

  // 'error' may point to regular nodes only
  const error = nodes.get('error');
  if (nodes.has('error') && (Array.isArray(error) || typeof error === 'string')) {
    if (pyContains(error, 'start')) fail('error-start', '"error" node points to "start" node');
    if (pyContains(error, 'error')) fail('error-self', '"error" node points to itself');
  }

  // All other nodes must be numeric
  for (const key of nodes.keys()) {
    if (typeof key !== 'number' && key !== 'start' && key !== 'error') {
      fail('not-numeric', `Node "${key}" is not numeric`);
    }
  }

  // Walk every link depth-first from start and error: missing nodes, cycles. Python recurses; a
  // chain of 10,000 steps would overflow our stack, so the walk keeps its own: one frame per step on
  // the current path, each going through `output`, then `error`, one link at a time, as Python does.
  const touched = new Set<unknown>(['start', 'error']);
  // Steps whose whole subtree was walked without error: walking them again cannot fail either
  // (a cycle or a bad link below them would have been found the first time), so skip them.
  const clean = new Set<unknown>();
  interface Frame {
    readonly node: unknown;
    /** Index into OUTGOING of the link list being followed. */
    outgoing: number;
    links: readonly number[];
    next: number;
  }
  const OUTGOING = ['output', 'error'] as const;

  const findCycles = (root: string, first: unknown): void => {
    const path: unknown[] = [root];
    const onPath = new Set<unknown>(path);
    const frames: Frame[] = [];
    /** Step onto `here`, the last of `path`: check it, then walk below it unless that was done before. */
    const enter = (here: unknown): void => {
      if (Array.isArray(here) || isPlainObject(here)) {
        // Python fails here with "unhashable type"; say what is wrong instead.
        fail('invalid-link', `Invalid link in recipe (${pyStr(here)})`);
      }
      if (!nodes.has(here as RecipeKey)) {
        const parent = frames[frames.length - 1];
        const pointer =
          parent === undefined
            ? `"${root}" points at it`
            : `step ${pyStr(path[path.length - 2])}'s "${OUTGOING[parent.outgoing]}" points at it`;
        fail(
          'missing-node',
          `Node "${pyStr(here)}" is referenced via "${pyStr(path.slice(0, -1))}" but missing` +
            (explain ? `: ${pointer}, and the recipe has no step ${pyStr(here)}` : ''),
        );
      }
      touched.add(here);
      if (clean.has(here)) {
        path.pop();
        onPath.delete(here);
        return;
      }
      frames.push({ node: nodes.get(here as RecipeKey), outgoing: -1, links: [], next: 0 });
    };
    path.push(first);
    onPath.add(first);
    enter(first);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      if (frame.next < frame.links.length) {
        const next = frame.links[frame.next++];
        if (onPath.has(next)) fail('cycle', `Recipe contains cycle (${pyStr(path)} -> ${pyStr(next)})`);
        path.push(next);
        onPath.add(next);
        enter(next);
        continue;
      }
      // This link list is done: flatten the next one (as Python, only when its turn comes)
      frame.outgoing++;
      if (frame.outgoing < OUTGOING.length) {
        const outgoing = OUTGOING[frame.outgoing];
        frame.links = hasOwn(frame.node, outgoing) ? flattenLinks(ownValue(frame.node, outgoing)) : [];
        frame.next = 0;
        continue;
      }
      frames.pop();
      const here = path.pop();
      onPath.delete(here);
      clean.add(here);
    }
  };

  for (const entry of entries) findCycles('start', entry[0]);
  if (nodes.has('error')) {
    if (Array.isArray(error)) for (const link of error) findCycles('error', link);
    else findCycles('error', error);
  }

  // Every node must be reachable
  for (const key of nodes.keys()) {
    if (!touched.has(key)) fail('unreferenced', `Recipe contains unreferenced node "${pyStr(key)}"`);
  }
}

/** Our addition: the steps that have nowhere to send their messages (no `queue`, no `topic`). */
function destinationProblems(nodes: RecipeNodes): RecipeValidationError[] {
  const problems: RecipeValidationError[] = [];
  for (const [key, node] of nodes) {
    if (typeof key !== 'number') continue;
    if (!truthy(ownValue(node, 'queue')) && !truthy(ownValue(node, 'topic'))) {
      problems.push(
        new RecipeValidationError(
          'no-destination',
          `Invalid recipe: Node "${key}" has neither "queue" nor "topic", so messages sent to it would go nowhere`,
        ),
      );
    }
  }
  return problems;
}

/** Our addition: every step (all are reachable by now) has somewhere to send its messages. */
export function checkDestinations(nodes: RecipeNodes): void {
  const [first] = destinationProblems(nodes);
  if (first !== undefined) throw first;
}

/**
 * Validate loaded recipe entries; throws {@link RecipeValidationError} at the first broken rule.
 * `document` is the same recipe as JSON (string keys), for the schema check.
 */
export function validateNodes(nodes: RecipeNodes, document: () => unknown, options?: ValidateOptions): void {
  checkPythonRules(nodes);
  if (options?.level === 'python') return;
  checkRecipeSchema(document());
  checkDestinations(nodes);
}

/**
 * Every problem {@link validateNodes} can find, not only the first: the first broken Python rule (each
 * depends on those before it), then every schema problem and every step without a destination (both
 * independent of the Python rules). Empty for a valid recipe.
 */
export function nodeProblems(
  nodes: RecipeNodes,
  document: () => unknown,
  options?: ProblemsOptions,
): RecipeValidationError[] {
  const problems: RecipeValidationError[] = [];
  try {
    checkPythonRules(nodes, options?.explain === true);
  } catch (error) {
    if (!(error instanceof RecipeValidationError)) throw error;
    problems.push(error);
  }
  if (options?.level === 'python') return problems;
  return [...problems, ...recipeSchemaProblems(document()), ...destinationProblems(nodes)];
}
