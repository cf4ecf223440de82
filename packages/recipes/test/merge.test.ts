import { Recipe, RecipeValidationError } from '../src';

// python-workflows' tests/recipe/test_recipe.py, generate_recipes()
const recipeA = {
  '1': { service: 'A service', queue: 'some.queue.{first}', output: [2], error: 2 },
  '2': { service: 'B service', queue: 'another.queue.{name}' },
  start: [[1, {}]],
  error: [2],
};
const recipeB = {
  '1': { service: 'A service', queue: 'some.queue.{first}', output: 2 },
  '2': { service: 'C service', queue: 'third.queue' },
  start: [[1, {}]],
};

describe('merge', () => {
  it('with nothing or an empty recipe returns a copy of the other side', () => {
    const a = new Recipe(recipeA);
    for (const merged of [
      a.merge(),
      a.merge(null),
      a.merge(new Recipe()),
      a.merge('null'),
      new Recipe().merge(a),
    ]) {
      expect(merged.equals(a)).toBe(true);
      expect(merged).not.toBe(a);
    }
  });

  it('renumbers b after a, joins start and error lists, and keeps both inputs unchanged', () => {
    const a = new Recipe(recipeA);
    const b = new Recipe(recipeB);
    const merged = a.merge(b);
    expect(a.equals(recipeA)).toBe(true);
    expect(b.equals(recipeB)).toBe(true);
    expect(merged.size).toBe(6); // start, error, A1, A2, B1, B2
    expect(merged.stepNumbers).toEqual([1, 2, 3, 4]);
    expect(merged.start).toEqual([
      [1, {}],
      [3, {}],
    ]);
    expect(merged.step(3)).toEqual({ service: 'A service', queue: 'some.queue.{first}', output: [4] });
    expect(merged.step(4)?.service).toBe('C service');
    expect(merged.error).toEqual([2]);
    expect(merged.isValid()).toBe(true);
  });

  it('starts new numbers at max(1, largest step of a) + 1 and rewrites every kind of link', () => {
    const a = new Recipe({ '7': { queue: 'a' }, start: [[7, {}]], error: 7 });
    const b = new Recipe({
      '2': { queue: 'b', output: { good: [5], bad: 9 }, error: 9 },
      '5': { queue: 'c' },
      '9': { queue: 'd' },
      start: [[2, { p: 1 }]],
      error: [5],
    });
    const merged = a.merge(b);
    expect(merged.stepNumbers).toEqual([7, 8, 9, 10]);
    expect(merged.step(8)).toEqual({ queue: 'b', output: { good: [9], bad: 10 }, error: 10 });
    expect(merged.start).toEqual([
      [7, {}],
      [8, { p: 1 }],
    ]);
    expect(merged.error).toEqual([7, 9]);
    expect(merged.isValid()).toBe(true);
  });

  it('takes b error as it is (renumbered) when a has none', () => {
    const merged = new Recipe(recipeB).merge(new Recipe(recipeA));
    expect(merged.error).toEqual([4]);
  });

  it('accepts text for the other recipe', () => {
    const merged = new Recipe(recipeA).merge(JSON.stringify(recipeB));
    expect(merged.stepNumbers).toHaveLength(4);
  });

  it('validates both recipes first', () => {
    const invalid = new Recipe({ '1': { queue: 'a', output: 1 }, start: [[1, {}]] });
    expect(() => new Recipe(recipeA).merge(invalid)).toThrow(RecipeValidationError);
    expect(() => invalid.merge(new Recipe(recipeA))).toThrow(
      "Invalid recipe: Recipe contains cycle (['start', 1] -> 1)",
    );
    const noQueue = new Recipe({ '1': { service: 'x' }, start: [[1, {}]] });
    expect(() => new Recipe(recipeA).merge(noQueue)).toThrow(RecipeValidationError);
    expect(new Recipe(recipeA).merge(noQueue, { level: 'python' }).isValid({ level: 'python' })).toBe(true);
  });
});

describe('Recipe.mergeAll', () => {
  const a = { '7': { queue: 'a' }, start: [[7, {}]], error: 7 };
  const b = {
    '2': { queue: 'b', output: { good: [5], bad: 9 }, error: 9 },
    '5': { queue: 'c' },
    '9': { queue: 'd' },
    start: [[2, { p: 1 }]],
    error: [5],
  };

  /** What merging one at a time gives. */
  const folded = (recipes: unknown[]): Recipe =>
    recipes.reduce<Recipe>((merged, recipe) => merged.merge(recipe as string), new Recipe());

  it('gives what merging one at a time gives, step numbers, links, start and error lists alike', () => {
    const same = new Recipe(recipeB);
    for (const recipes of [
      [recipeA, recipeB],
      [recipeB, recipeA, recipeB, a],
      [a, b, a, b, recipeA],
      [null, a, new Recipe(), 'null', JSON.stringify(b), undefined, b],
      [same, same, same],
      [a],
      [],
    ]) {
      const merged = Recipe.mergeAll(recipes);
      expect(merged.toJSON()).toEqual(folded(recipes).toJSON());
      // Key order too (Python's dict order: it decides which unreferenced step a message names).
      expect(Object.keys(merged.toJSON())).toEqual(Object.keys(folded(recipes).toJSON()));
    }
    expect(same.equals(recipeB)).toBe(true);
    expect(Recipe.mergeAll([same])).not.toBe(same);
  });

  it('throws the validation error merging one at a time throws first', () => {
    const cycle = new Recipe({ '1': { queue: 'a', output: 1 }, start: [[1, {}]] });
    const noQueue = new Recipe({ '1': { service: 'x' }, start: [[1, {}]] });
    expect(() => Recipe.mergeAll([recipeA, noQueue, cycle])).toThrow(
      'Invalid recipe: Node "1" has neither "queue" nor "topic"',
    );
    expect(() => Recipe.mergeAll([cycle, recipeA])).toThrow("Recipe contains cycle (['start', 1] -> 1)");
    // As `new Recipe().merge(x)`: a single recipe is not validated.
    expect(Recipe.mergeAll([null, cycle]).equals(cycle)).toBe(true);
    expect(Recipe.mergeAll([recipeA, noQueue], { level: 'python' }).isValid({ level: 'python' })).toBe(true);
  });

  it('merges 20,000 recipes in linear time (one at a time: 1,000 took 19 s, 2,000 over 90 s)', () => {
    const one = new Recipe({ '1': { service: 'Echo', queue: 'echo' }, start: [[1, { n: '{n}' }]] });
    const started = performance.now();
    const merged = Recipe.mergeAll(Array<Recipe>(20_000).fill(one));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(merged.stepNumbers).toHaveLength(20_000);
    expect(merged.start.at(-1)).toEqual([20_000, { n: '{n}' }]);
    expect(merged.isValid()).toBe(true);
  });
});
