import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Recipe, RecipeValidationError, checkRecipeSchema, recipeSchema } from '../src';

const text = JSON.stringify({
  '1': { service: 'A service', queue: 'some.queue', output: 2, error: 2 },
  '2': { service: 'B service', queue: 'another.queue', output: { done: [3], also: 3 } },
  '3': { service: 'C service', topic: 'a.topic' },
  start: [[1, { first: true }]],
  error: [2],
});

describe('Recipe: loading', () => {
  it('turns numeric-string step keys into numbers and a scalar output into a list', () => {
    const recipe = new Recipe(text);
    expect(recipe.stepNumbers).toEqual([1, 2, 3]);
    expect(recipe.has(1)).toBe(true);
    expect(recipe.has('1')).toBe(false);
    expect(recipe.step(1)?.output).toEqual([2]);
    expect(recipe.step(1)?.error).toBe(2); // a step's error is not normalised (as in Python)
    expect(recipe.step(2)?.output).toEqual({ done: [3], also: 3 });
    expect(recipe.start).toEqual([[1, { first: true }]]);
    expect(recipe.error).toEqual([2]);
    expect(recipe.size).toBe(5);
  });

  it('keeps Python dict order: text keys first, then steps in document order', () => {
    const recipe = new Recipe('{"2": {"queue": "b"}, "start": [[2, {}]], "1": {"queue": "a"}, "error": 1}');
    expect(recipe.keys()).toEqual(['start', 'error', 2, 1]);
  });

  it('reads step keys as Python int() does: "01" and "-2" are numbers, "0" stays text', () => {
    const recipe = new Recipe({ '01': { queue: 'a' }, '-2': { queue: 'b' }, '0': {}, start: [[1, {}]] });
    expect(recipe.has(1)).toBe(true);
    expect(recipe.has(-2)).toBe(true);
    expect(recipe.has('0')).toBe(true);
    expect(() => recipe.validate()).toThrow('Invalid recipe: Node "0" is not numeric');
  });

  it('loads from an object, text or another recipe, always as its own copy', () => {
    const document = JSON.parse(text) as Record<string, { queue?: string }>;
    const fromObject = new Recipe(document);
    document['1'].queue = 'changed';
    expect(fromObject.step(1)?.queue).toBe('some.queue');
    const copy = new Recipe(fromObject);
    expect(copy.equals(fromObject)).toBe(true);
    expect(copy).not.toBe(fromObject);
    expect(Recipe.parse(text).equals(fromObject)).toBe(true);
  });

  it('gives the empty recipe for nothing and for JSON null', () => {
    expect(new Recipe().isEmpty()).toBe(true);
    expect(new Recipe(null).isEmpty()).toBe(true);
    expect(new Recipe('null').isEmpty()).toBe(true);
    expect(() => new Recipe().validate()).toThrow('Invalid recipe: No recipe defined');
  });

  it('refuses text that is not JSON and documents that are not objects, with the reason', () => {
    expect(() => new Recipe('{"start": ')).toThrow(RecipeValidationError);
    expect(() => new Recipe('{"start": ')).toThrow(/^Invalid recipe: not valid JSON at line 1, column 11 \(/);
    expect(() => new Recipe('[1, 2]')).toThrow('Invalid recipe: a recipe must be a JSON object, got array');
    expect(() => new Recipe('"text"')).toThrow('Invalid recipe: a recipe must be a JSON object, got string');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => new Recipe(cyclic)).toThrow(/^Invalid recipe: cannot be written as JSON/);
    try {
      new Recipe('{');
    } catch (error) {
      expect((error as RecipeValidationError).rule).toBe('json');
    }
  });

  it('reports the first unreferenced step in document order, which needs the text order', () => {
    const document = '{"start": [[1, {}]], "1": {"queue": "a"}, "5": {"queue": "e"}, "3": {"queue": "c"}}';
    expect(() => new Recipe(document).validate()).toThrow(
      'Invalid recipe: Recipe contains unreferenced node "5"',
    );
    // an object has lost the order: JavaScript lists integer keys in ascending order
    expect(() => new Recipe(JSON.parse(document) as object).validate()).toThrow(
      'Invalid recipe: Recipe contains unreferenced node "3"',
    );
  });

  it('keeps a key given twice as JSON.parse and Python do: the last value, at the first place', () => {
    const recipe = new Recipe('{"1": ["a comment"], "start": [[1, []]], "1": {"queue": "q"}}');
    expect(recipe.step(1)).toEqual({ queue: 'q' });
    expect(recipe.isValid()).toBe(true);
  });
});

describe('Recipe: writing', () => {
  it('serialises with step numbers as string keys and reads back equal', () => {
    const recipe = new Recipe(text);
    const document = JSON.parse(recipe.serialize()) as Record<string, unknown>;
    expect(Object.keys(document).sort()).toEqual(['1', '2', '3', 'error', 'start']);
    expect(document['1']).toEqual({ service: 'A service', queue: 'some.queue', output: [2], error: 2 });
    expect(new Recipe(recipe.serialize()).equals(recipe)).toBe(true);
    expect(recipe.toString()).toBe(recipe.serialize());
    expect(JSON.stringify(recipe)).toBe(recipe.serialize());
  });

  it('pretty-prints with two-space indentation', () => {
    const recipe = new Recipe({ '1': { queue: 'a' }, start: [[1, {}]] });
    expect(recipe.pretty()).toBe(
      '{\n  "1": {\n    "queue": "a"\n  },\n  "start": [\n    [\n      1,\n      {}\n    ]\n  ]\n}',
    );
  });

  it('toJSON is a deep copy: changing it does not change the recipe', () => {
    const recipe = new Recipe(text);
    const document = recipe.toJSON() as Record<string, { queue: string }>;
    document['1'].queue = 'changed';
    expect(recipe.step(1)?.queue).toBe('some.queue');
  });
});

describe('Recipe: equality (Python ==)', () => {
  it('equals recipes, documents and text that load to the same recipe', () => {
    const a = new Recipe(text);
    expect(a.equals(new Recipe(text))).toBe(true);
    expect(a.equals(text)).toBe(true);
    expect(a.equals(a.pretty())).toBe(true);
    expect(a.equals(a.toJSON())).toBe(true);
    // a "semi-mangled" document: string keys and a scalar output are still the same recipe
    const mangled = JSON.parse(text) as Record<string, { output?: unknown }>;
    mangled['1'].output = 2;
    expect(a.equals(mangled)).toBe(true);
    // key order inside objects does not matter
    expect(a.equals(JSON.stringify({ error: [2], start: [[1, { first: true }]], ...JSON.parse(text) }))).toBe(
      true,
    );
  });

  it('differs from other recipes and from things that are not recipes', () => {
    const a = new Recipe(text);
    const other = JSON.parse(text) as Record<string, unknown>;
    delete other['3'];
    expect(a.equals(other)).toBe(false);
    expect(a.equals('not json')).toBe(false);
    expect(a.equals(null)).toBe(false);
    expect(new Recipe().equals(null)).toBe(true);
  });
});

describe('Recipe: validation levels and the schema', () => {
  it('full validation adds the schema and the destination check to the Python rules', () => {
    const recipe = new Recipe({ '1': { queue: 'a', 'transport-delay': 'soon' }, start: [[1, {}]] });
    expect(recipe.isValid({ level: 'python' })).toBe(true);
    expect(recipe.isValid()).toBe(false);
    expect(() => recipe.validate()).toThrow('Invalid recipe: step 1 "transport-delay" must be number');
  });

  it('checks the Python rules before the schema', () => {
    const recipe = new Recipe({ '1': { queue: 5, output: 1 }, start: [[1, {}]] });
    expect(() => recipe.validate()).toThrow("Invalid recipe: Recipe contains cycle (['start', 1] -> 1)");
  });

  it('ships the schema as a JSON file, the same one the validator uses', () => {
    const file = JSON.parse(
      readFileSync(join(__dirname, '..', 'schema', 'recipe.schema.json'), 'utf8'),
    ) as unknown;
    expect(recipeSchema).toEqual(file);
    const manifest = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
      exports: Record<string, unknown>;
      files: string[];
    };
    expect(manifest.exports['./schema.json']).toBe('./schema/recipe.schema.json');
    expect(manifest.files).toContain('schema');
  });

  it('the schema accepts a document as written by hand (scalar output, string keys)', () => {
    expect(() =>
      checkRecipeSchema({ '1': { queue: 'a', output: 2 }, '2': { topic: 't' }, start: [[1, {}]], error: 2 }),
    ).not.toThrow();
    expect(() => checkRecipeSchema({ start: [[0, {}]] })).toThrow(
      'Invalid recipe: "start"[0][0] must be >= 1',
    );
  });
});

describe('Recipe.problems(): every problem, not only the first', () => {
  it('says where JSON stops, by line and column, on any line', () => {
    const text = '{\n  "1": {"queue": "a"},\n  "start": [[1, []]\n}';
    let caught: unknown;
    try {
      new Recipe(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(RecipeValidationError);
    expect(caught).toMatchObject({ rule: 'json', line: 4, column: 1 });
    expect((caught as Error).message).toMatch(/^Invalid recipe: not valid JSON at line 4, column 1 \(/);
  });

  it('lists the first broken Python rule, every schema problem and every step without a destination', () => {
    const recipe = new Recipe({
      '1': { queue: 'a', output: 2, 'transport-delay': -1 },
      '2': { parameters: 'not an object', output: [5] },
      start: [[1, []]],
    });
    const problems = recipe.problems();
    expect(problems.map((problem) => problem.rule)).toEqual([
      'missing-node',
      'schema',
      'schema',
      'no-destination',
    ]);
    expect(problems.map((problem) => problem.message)).toEqual([
      'Invalid recipe: Node "5" is referenced via "[\'start\', 1, 2]" but missing',
      'Invalid recipe: step 1 "transport-delay" must be >= 0',
      'Invalid recipe: step 2 "parameters" must be object',
      'Invalid recipe: Node "2" has neither "queue" nor "topic", so messages sent to it would go nowhere',
    ]);
    // validate() still stops at the first, in python-workflows' words.
    expect(() => recipe.validate()).toThrow(problems[0].message);
    expect(recipe.problems({ level: 'python' }).map((problem) => problem.message)).toEqual([
      problems[0].message,
    ]);
    expect(new Recipe({ '1': { queue: 'a' }, start: [[1, []]] }).problems()).toEqual([]);
  });

  it('with explain, says which step and field points at a missing step', () => {
    const recipe = new Recipe({
      '1': { queue: 'a', output: { done: 2 }, error: 7 },
      '2': { queue: 'b' },
      start: [[1, []]],
    });
    expect(recipe.problems({ explain: true })[0].message).toBe(
      'Invalid recipe: Node "7" is referenced via "[\'start\', 1]" but missing: step 1\'s "error" points at it, ' +
        'and the recipe has no step 7',
    );
    expect(new Recipe({ '1': { queue: 'a' }, start: [[3, []]] }).problems({ explain: true })[0].message).toBe(
      'Invalid recipe: Node "3" is referenced via "[\'start\']" but missing: "start" points at it, and the recipe has no step 3',
    );
  });
});
