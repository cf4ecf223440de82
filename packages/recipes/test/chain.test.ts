import { decodeBody } from '@zocalo/workflows';
import { Recipe, RecipeValidationError, RecipeWrapper } from '../src';
import type { RecipeDocument } from '../src';
import { memoryTransport, recordingTransport } from './helpers';

// Issue #24: a long chain of steps is valid (Python services take it) and must not overflow the
// stack anywhere (limits.test.ts: values nested deeper than a message may be are refused).

const STEPS = 10_000;

/** Steps 1 → 2 → … → `steps`, each `{ service, queue, output: n + 1 }`; the last has no output. */
function chain(steps = STEPS, last: Record<string, unknown> = {}): RecipeDocument {
  const document: RecipeDocument = { start: [[1, { image: '{image}' }]] };
  for (let n = 1; n <= steps; n++) {
    document[String(n)] =
      n < steps ? { service: 's', queue: 'q', output: n + 1 } : { service: 's', queue: 'q', ...last };
  }
  return document;
}

/** Python's str() of the path ['start', 1, 2, …, steps]. */
function pathText(steps: number): string {
  return `['start', ${Array.from({ length: steps }, (_, index) => index + 1).join(', ')}]`;
}

describe(`a ${STEPS}-step chain`, () => {
  it('validates, in full and at the python level', () => {
    const recipe = new Recipe(chain());
    expect(() => recipe.validate()).not.toThrow();
    expect(recipe.isValid({ level: 'python' })).toBe(true);
  });

  it('parses from text and from an object, and writes back the same', () => {
    const text = JSON.stringify(chain());
    const fromText = new Recipe(text);
    expect(fromText.stepNumbers).toHaveLength(STEPS);
    expect(fromText.equals(new Recipe(chain()))).toBe(true);
    expect(new Recipe(fromText.serialize()).equals(fromText)).toBe(true);
    expect(fromText.clone().step(STEPS)).toEqual({ service: 's', queue: 'q' });
  });

  it('merges with itself into 20,000 steps, renumbered', () => {
    const merged = new Recipe(chain()).merge(chain());
    expect(merged.stepNumbers).toHaveLength(2 * STEPS);
    expect(merged.step(STEPS + 1)).toEqual({ service: 's', queue: 'q', output: [STEPS + 2] });
    expect(merged.start).toEqual([
      [1, { image: '{image}' }],
      [STEPS + 1, { image: '{image}' }],
    ]);
    expect(merged.isValid()).toBe(true);
  });

  it('has its parameters applied', () => {
    const filled = new Recipe(chain()).applyParameters({ image: 'x_0001.cbf' });
    expect(filled.start).toEqual([[1, { image: 'x_0001.cbf' }]]);
    expect(filled.isValid()).toBe(true);
  });

  it('names the whole path of a cycle or a missing step at its end, as Python does', () => {
    expect(() => new Recipe(chain(STEPS, { output: 1 })).validate()).toThrow(
      new RecipeValidationError('cycle', `Invalid recipe: Recipe contains cycle (${pathText(STEPS)} -> 1)`),
    );
    expect(() => new Recipe(chain(STEPS, { error: STEPS + 1 })).validate()).toThrow(
      `Invalid recipe: Node "${STEPS + 1}" is referenced via "${pathText(STEPS)}" but missing`,
    );
  });

  it('is wrapped and sent along at its last steps', async () => {
    const transport = recordingTransport(await memoryTransport());
    try {
      await RecipeWrapper.fromRecipe(chain(), transport).start();
      const body = {
        recipe: chain(),
        'recipe-pointer': STEPS - 1,
        'recipe-path': [STEPS - 2],
        environment: { ID: 'deep' },
        payload: 'x',
      };
      // as a service receives it: through the wire's text
      const wrapper = RecipeWrapper.fromMessage(decodeBody(JSON.stringify(body)), transport);
      await wrapper.send('result');
      expect(
        transport.sent.map(({ message }) => (message as { 'recipe-pointer': number })['recipe-pointer']),
      ).toEqual([1, STEPS]);
    } finally {
      await transport.disconnect();
    }
  });
});
