import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Recipe, RecipeValidationError } from '../src';
import type { RecipeRule } from '../src';
import { topLevelEntries } from '../src/json';

const VECTORS = join(__dirname, 'vectors');
const PYTHON_RULES: readonly RecipeRule[] = [
  'no-recipe',
  'start-missing',
  'start-empty',
  'start-invalid',
  'start-self',
  'error-start',
  'error-self',
  'not-numeric',
  'invalid-link',
  'missing-node',
  'cycle',
  'unreferenced',
];

function files(kind: 'valid' | 'invalid'): string[] {
  return readdirSync(join(VECTORS, kind))
    .filter((name) => name.endsWith('.json'))
    .sort();
}

interface InvalidVector {
  readonly description: string;
  readonly rule: RecipeRule;
  readonly error: string;
  /** The raw text of the "recipe" value, so the recipe is loaded in document order. */
  readonly recipeText: string;
}

function readInvalid(name: string): InvalidVector {
  const text = readFileSync(join(VECTORS, 'invalid', name), 'utf8');
  const vector = JSON.parse(text) as Omit<InvalidVector, 'recipeText'>;
  const recipeText = topLevelEntries(text)!.find(([key]) => key === 'recipe')![1];
  return { ...vector, recipeText };
}

function failure(recipe: Recipe, level: 'full' | 'python'): RecipeValidationError | undefined {
  try {
    recipe.validate({ level });
    return undefined;
  } catch (error) {
    if (error instanceof RecipeValidationError) return error;
    throw error;
  }
}

describe('test vectors', () => {
  it('has vectors for every rule of the spec, ours included', () => {
    const rules = new Set(files('invalid').map((name) => readInvalid(name).rule));
    for (const rule of [...PYTHON_RULES, 'schema', 'no-destination'] as RecipeRule[]) {
      expect(rules).toContain(rule);
    }
  });

  describe.each(files('valid'))('valid/%s', (name) => {
    const text = readFileSync(join(VECTORS, 'valid', name), 'utf8');

    it('validates, at both levels', () => {
      const recipe = new Recipe(text);
      expect(() => recipe.validate()).not.toThrow();
      expect(recipe.isValid({ level: 'python' })).toBe(true);
    });

    it('survives serialise and parse, as text and as an object', () => {
      const recipe = new Recipe(text);
      expect(new Recipe(recipe.serialize()).equals(recipe)).toBe(true);
      expect(new Recipe(recipe.toJSON()).equals(recipe)).toBe(true);
      expect(recipe.equals(JSON.parse(text) as object)).toBe(true);
      expect(recipe.equals(recipe.pretty())).toBe(true);
    });
  });

  describe.each(files('invalid'))('invalid/%s', (name) => {
    const vector = readInvalid(name);

    it(`fails with exactly the expected message`, () => {
      const error = failure(new Recipe(vector.recipeText), 'full');
      expect(error?.message).toBe(vector.error);
      expect(error?.rule).toBe(vector.rule);
      expect(error).toBeInstanceOf(RecipeValidationError);
    });

    it('fails the same way at the Python level, or passes it if the rule is ours', () => {
      const error = failure(new Recipe(vector.recipeText), 'python');
      if (PYTHON_RULES.includes(vector.rule)) expect(error?.message).toBe(vector.error);
      else expect(error).toBeUndefined();
    });
  });
});
