import { MAX_BODY_DEPTH } from '@zocalo/workflows';
import {
  DEFAULT_MAX_PARAMETER_OUTPUT,
  Recipe,
  RecipeParameterError,
  RecipeParameterSizeError,
  RecipeValidationError,
  applyParametersTo,
} from '../src';

// Issue #24: inputs that can never succeed are refused at once, with a typed error that says what to do.

/** `[[[…]]]`, `depth` deep. */
function nested(depth: number): unknown {
  let value: unknown = [];
  for (let level = 1; level < depth; level++) value = [value];
  return value;
}

/** A small valid recipe with `text` in step 1's parameters. */
function recipeWith(text: unknown): Recipe {
  return new Recipe({ '1': { queue: 'q', parameters: { p: text } }, start: [[1, {}]] });
}

describe('values nested deeper than a message may be', () => {
  const deep = 100_000;

  it(`load as a recipe up to ${MAX_BODY_DEPTH} levels, from text or an object`, () => {
    // the recipe object, the step and its "parameters" are three of the levels
    const document = { '1': { queue: 'q', parameters: { p: nested(MAX_BODY_DEPTH - 3) } }, start: [[1, {}]] };
    const recipe = new Recipe(JSON.stringify(document));
    expect(recipe.isValid()).toBe(true);
    expect(new Recipe(document).equals(recipe)).toBe(true);
    expect(new Recipe(recipe.serialize()).equals(recipe)).toBe(true);
    expect(recipe.applyParameters({ a: 1 }).merge(recipe).isValid()).toBe(true);
  });

  it.each([
    [
      'text',
      (depth: number) =>
        `{"1": {"queue": "q", "parameters": ${'['.repeat(depth)}${']'.repeat(depth)}}, "start": [[1, {}]]}`,
    ],
    ['an object', (depth: number) => ({ '1': { queue: 'q', parameters: nested(depth) }, start: [[1, {}]] })],
  ])('are refused as a recipe from %s with a RecipeValidationError, never a RangeError', (_, make) => {
    // 2 + 511 is one level too many
    for (const depth of [MAX_BODY_DEPTH - 1, deep]) {
      let thrown: unknown;
      try {
        new Recipe(make(depth));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(RecipeValidationError);
      expect((thrown as RecipeValidationError).rule).toBe('json');
      expect((thrown as Error).message).toBe(
        `Invalid recipe: nested more than ${MAX_BODY_DEPTH} levels deep; no Python service could read it ` +
          '(its json module stops near 1000 levels) and it cannot be sent; flatten it',
      );
    }
  });

  it('as parameters, or as the value to fill in, are refused with a RecipeParameterError', () => {
    expect(() => applyParametersTo('{x}', { x: nested(deep) })).toThrow(
      new RecipeParameterError(
        `Invalid recipe parameters: the parameters: nested more than ${MAX_BODY_DEPTH} levels deep, which no ` +
          'message may be (no Python service could read it); flatten it',
      ),
    );
    expect(() => recipeWith('{x}').applyParameters({ x: nested(deep) })).toThrow(RecipeParameterError);
    expect(() => applyParametersTo(nested(deep), {})).toThrow(
      'Invalid recipe parameters: the value to fill in: nested more than 512 levels deep',
    );
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => applyParametersTo('{x}', { x: circular })).toThrow(
      'Invalid recipe parameters: the parameters: contains itself (a circular reference), which JSON cannot carry',
    );
    // the same object twice is no circle
    const shared = { a: 1 };
    expect(applyParametersTo('{x}', { x: [shared, shared] })).toBe("[{'a': 1}, {'a': 1}]");
  });

  it(`refuse a {$REPLACE:name} that would nest the recipe more than ${MAX_BODY_DEPTH} deep`, () => {
    // the string sits in the recipe, step 1 and its parameters: three levels
    const recipe = recipeWith('{$REPLACE:x}');
    const filled = recipe.applyParameters({ x: nested(MAX_BODY_DEPTH - 3) });
    expect(new Recipe(filled.serialize()).equals(filled)).toBe(true);
    expect(() => recipe.applyParameters({ x: nested(MAX_BODY_DEPTH - 2) })).toThrow(
      new RecipeParameterError(
        `Invalid recipe parameters: "{$REPLACE:x}" would nest the recipe more than ${MAX_BODY_DEPTH} levels ` +
          'deep, which no message may be; flatten the parameter',
      ),
    );
  });
});

describe('what the placeholders of one recipe may produce', () => {
  /** What `run` throws. */
  function thrownBy(run: () => unknown): unknown {
    try {
      run();
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it('is at most 16 MiB by default: a large parameter used many times is refused, and soon', () => {
    expect(DEFAULT_MAX_PARAMETER_OUTPUT).toBe(16 * 1024 * 1024);
    // 600 bytes of recipe and a 64 kB parameter would make a 128 MB message
    const recipe = recipeWith('{x}'.repeat(2000));
    const started = performance.now();
    const error = thrownBy(() => recipe.applyParameters({ x: 'a'.repeat(64 * 1024) }));
    expect(performance.now() - started).toBeLessThan(5000); // stops at 16 MiB, not at 128 MB
    expect(error).toBeInstanceOf(RecipeParameterSizeError);
    expect(error).toBeInstanceOf(RecipeParameterError);
    expect((error as RecipeParameterSizeError).limit).toBe(DEFAULT_MAX_PARAMETER_OUTPUT);
    expect((error as Error).message).toBe(
      `Invalid recipe parameters: the placeholders would produce more than ${DEFAULT_MAX_PARAMETER_OUTPUT} ` +
        `characters (reached while filling in "${'{x}'.repeat(20)}..."); a recipe that large is most likely ` +
        'a large parameter used many times: put it in once with {$REPLACE:name}, send the data another way, ' +
        'or raise the maxOutput option',
    );
    // the same below the limit is fine
    expect(recipe.applyParameters({ x: 'a'.repeat(1024) }).step(1)?.parameters).toEqual({
      p: 'a'.repeat(2048 * 1000),
    });
  });

  it('counts what each placeholder produces, and not the recipe’s own text', () => {
    const limited = { maxOutput: 6 };
    expect(applyParametersTo('a long literal text {x}{x}', { x: 'abc' }, limited)).toBe(
      'a long literal text abcabc',
    );
    expect(() => applyParametersTo('{x}{x}{x}', { x: 'abc' }, limited)).toThrow(RecipeParameterSizeError);
    // unknown names stay as written and cost nothing
    expect(applyParametersTo('{y}{y}{y}{y}', {}, limited)).toBe('{y}{y}{y}{y}');
    // keys too
    expect(() => applyParametersTo({ '{x}{x}': '{x}' }, { x: 'abc' }, limited)).toThrow(
      RecipeParameterSizeError,
    );
    // a conversion counts the text it makes on the way: repr(x) is 10 characters before .1 cuts it
    expect(() => applyParametersTo('{x!r:.1}', { x: [1, 2, 3, 4] }, limited)).toThrow(
      RecipeParameterSizeError,
    );
    // nested fields in a spec count too
    expect(() => applyParametersTo('{x:{w}}', { x: 'a', w: '>6' }, limited)).toThrow(
      RecipeParameterSizeError,
    );
  });

  it('counts each {$REPLACE:name} as the JSON size of its value', () => {
    // [1, 2, 3] is 7 characters as JSON
    expect(applyParametersTo(['{$REPLACE:l}'], { l: [1, 2, 3] }, { maxOutput: 7 })).toEqual([[1, 2, 3]]);
    expect(() =>
      applyParametersTo(['{$REPLACE:l}', '{$REPLACE:l}'], { l: [1, 2, 3] }, { maxOutput: 13 }),
    ).toThrow(RecipeParameterSizeError);
  });

  it('can be raised or lifted, and refuses a limit that is no number', () => {
    const big = { x: 'a'.repeat(1024 * 1024) };
    const recipe = recipeWith('{x}'.repeat(20));
    expect(() => recipe.applyParameters(big)).toThrow(RecipeParameterSizeError);
    expect(recipe.applyParameters(big, { maxOutput: 32 * 1024 * 1024 }).isValid()).toBe(true);
    expect(recipe.applyParameters(big, { maxOutput: Infinity }).isValid()).toBe(true);
    expect(() => recipe.applyParameters(big, { maxOutput: -1 })).toThrow(
      'Invalid recipe parameters: the maxOutput option must be a number of characters (0 or more, or Infinity), got -1',
    );
  });

  it('together with the width cap, keeps a 235-byte request from growing to 100 MB', () => {
    const request = JSON.stringify({
      recipe: {
        '1': { queue: 'q', parameters: { p: '{x:>{w}}{x:>{w}}{x:>{w}}{x:>{w}}{x:>{w}}' } },
        start: [[1, {}]],
      },
      parameters: { x: 'x', w: 20_000_000 },
    });
    expect(request.length).toBeLessThan(235);
    const { recipe, parameters } = JSON.parse(request) as {
      recipe: object;
      parameters: Record<string, unknown>;
    };
    const error = thrownBy(() => new Recipe(recipe).applyParameters(parameters));
    expect(error).toBeInstanceOf(RecipeParameterError);
    expect((error as Error).message).toContain('Width 20000000');
  });
});

describe('indexing text', () => {
  it('is by code point, as in Python, and does not split a long text at every use', () => {
    const s = 'a\u{1F600}b\ud800c';
    expect(applyParametersTo('{s[0]}|{s[1]}|{s[2]}|{s[3]}|{s[4]}|{s[5]}', { s })).toBe(
      'a|\u{1F600}|b|\ud800|c|{s[5]}',
    );
    const long = `\u{1F600}${'a'.repeat(1_000_000)}`;
    const started = performance.now();
    expect(applyParametersTo('{s[1000000]}'.repeat(2000), { s: long })).toBe('a'.repeat(2000));
    expect(performance.now() - started).toBeLessThan(5000); // was two splits of a million code points per use
  });
});
