import fc from 'fast-check';
import { Recipe, applyParametersTo } from '../src';
import type { RecipeDocument } from '../src';

/** JSON data whose text (keys and values) holds no braces, so it holds no placeholders either. */
function stripBraces(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/[{}]/g, '');
  if (Array.isArray(value)) return value.map(stripBraces);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [stripBraces(key), stripBraces(item)]),
    );
  }
  return value;
}
const plainJson = fc.jsonValue().map(stripBraces);

/**
 * A random valid recipe: steps 1..n, where step i links only to later steps (so no cycles), every
 * step after the first is linked from an earlier one or started, and the links come as numbers,
 * lists or named outputs.
 */
const validRecipe: fc.Arbitrary<RecipeDocument> = fc
  .integer({ min: 1, max: 8 })
  .chain((count) =>
    fc.tuple(
      fc.constant(count),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('number', 'list', 'named', 'none')), {
        minLength: count,
        maxLength: count,
      }),
      fc.array(plainJson, { minLength: 1, maxLength: 3 }),
      fc.boolean(),
    ),
  )
  .map(([count, choices, payloads, withError]) => {
    const document: RecipeDocument = { start: [[1, payloads[0]]] };
    const linked = new Set<number>([1]);
    const outputs = new Map<number, number[]>();
    for (let step = 2; step <= count; step++) {
      const from = 1 + (choices[step - 1][0] % (step - 1));
      outputs.set(from, [...(outputs.get(from) ?? []), step]);
      linked.add(step);
    }
    for (let step = 1; step <= count; step++) {
      const targets = outputs.get(step) ?? [];
      const [, extra, shape] = choices[step - 1];
      // sometimes also link to one more later step (a diamond), never backwards
      if (step < count && extra % 3 === 0) targets.push(step + 1 + (extra % (count - step)));
      const unique = [...new Set(targets)];
      const body: Record<string, unknown> = { service: `service ${step}`, queue: `queue.${step}` };
      if (unique.length > 0 && shape !== 'none') {
        if (shape === 'number' && unique.length === 1) body.output = unique[0];
        else if (shape === 'named') body.output = { main: unique.slice(0, 1), rest: unique.slice(1) };
        else body.output = unique;
      } else if (unique.length > 0) {
        body.output = unique;
      }
      document[String(step)] = body;
    }
    payloads.slice(1).forEach((payload, index) => document.start!.push([1 + (index % count), payload]));
    if (withError && count > 1) document.error = count;
    return document;
  });

const counts = (recipe: Recipe): { steps: number; start: number; error: number } => {
  const error = recipe.error;
  return {
    steps: recipe.stepNumbers.length,
    start: recipe.start.length,
    error: error === undefined ? 0 : Array.isArray(error) ? error.length : 1,
  };
};

describe('property: merge', () => {
  it('the generated recipes are valid', () => {
    fc.assert(fc.property(validRecipe, (document) => new Recipe(document).isValid()));
  });

  it('a merged recipe validates, step and start counts add up, error lists join', () => {
    fc.assert(
      fc.property(validRecipe, validRecipe, (documentA, documentB) => {
        const a = new Recipe(documentA);
        const b = new Recipe(documentB);
        const merged = a.merge(b);
        merged.validate();
        const [ca, cb, cm] = [counts(a), counts(b), counts(merged)];
        expect(cm.steps).toBe(ca.steps + cb.steps);
        expect(cm.error).toBe(ca.error + cb.error);
        expect(merged.start).toEqual([
          ...a.start,
          ...b.start.map(([step, payload]) => [step + Math.max(1, ...a.stepNumbers), payload]),
        ]);
      }),
    );
  });

  it('merging leaves both inputs as they were, and a merge with empty is a copy', () => {
    fc.assert(
      fc.property(validRecipe, validRecipe, (documentA, documentB) => {
        const a = new Recipe(documentA);
        const b = new Recipe(documentB);
        a.merge(b);
        expect(a.equals(documentA)).toBe(true);
        expect(b.equals(documentB)).toBe(true);
        expect(a.merge(new Recipe()).equals(a)).toBe(true);
        expect(new Recipe().merge(b).equals(b)).toBe(true);
      }),
    );
  });
});

/** Text without braces: nothing in it is a placeholder. */
const plainText = fc.string().map((text) => text.replace(/[{}]/g, ''));
const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/);

describe('property: parameters', () => {
  it('applying an empty parameter set to a recipe is the identity', () => {
    fc.assert(
      fc.property(validRecipe, (document) => new Recipe(document).applyParameters({}).equals(document)),
    );
  });

  it('text without braces is left exactly as it is', () => {
    fc.assert(
      fc.property(plainJson, fc.dictionary(name, fc.jsonValue()), (value, parameters) => {
        expect(applyParametersTo(value, parameters)).toEqual(value);
      }),
    );
  });

  it('unknown placeholders survive, known ones are replaced by their text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(plainText, name)),
        fc.dictionary(name, plainText),
        (pieces, parameters) => {
          const template = pieces.map(([text, key]) => `${text}{${key}}`).join('');
          const expected = pieces
            .map(([text, key]) => text + (Object.hasOwn(parameters, key) ? parameters[key] : `{${key}}`))
            .join('');
          expect(applyParametersTo(template, parameters)).toBe(expected);
        },
      ),
    );
  });

  it('{$REPLACE:name} is a deep copy of the value, or null when missing', () => {
    fc.assert(
      fc.property(name, fc.jsonValue(), fc.boolean(), (key, value, present) => {
        const parameters = present ? { [key]: value } : {};
        const result = applyParametersTo({ v: `{$REPLACE:${key}}` }, parameters).v;
        expect(result).toEqual(present ? value : null);
        if (present && value !== null && typeof value === 'object') expect(result).not.toBe(value);
      }),
    );
  });

  it('applying parameters whose values hold no braces twice is the same as once', () => {
    fc.assert(
      fc.property(validRecipe, fc.dictionary(name, plainText), (document, parameters) => {
        const once = new Recipe(document).applyParameters(parameters);
        expect(once.applyParameters(parameters).equals(once)).toBe(true);
      }),
    );
  });
});

describe('property: text', () => {
  it('a valid recipe survives serialise and parse', () => {
    fc.assert(
      fc.property(validRecipe, (document) => {
        const recipe = new Recipe(document);
        expect(new Recipe(recipe.serialize()).equals(recipe)).toBe(true);
      }),
    );
  });
});
