import { MemoryBroker, RecordingLogger } from '@zocalo/workflows';
import type { ReceivedHeaders } from '@zocalo/workflows';
import { until } from '@zocalo/test-brokers';
import { Recipe, RecipeWrapper, applyParametersTo, wrapSubscribe } from '../src';
import { memoryTransport } from './helpers';

/**
 * Our choice: `__proto__`, `constructor` and `prototype` keys are kept as plain data wherever they
 * appear (Python treats them as ordinary keys, so a message may carry them), and never pollute an
 * object. At the top level of a recipe they are no step number, so validation rejects them:
 * `Invalid recipe: Node "__proto__" is not numeric`.
 */
function unpolluted(): void {
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(Object.prototype).not.toHaveProperty('polluted');
  expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
}

const hostile =
  '{"start": [[1, {"__proto__": {"polluted": "payload"}}]],' +
  ' "1": {"queue": "q", "parameters": {"__proto__": {"polluted": "step"}, "constructor": {"prototype": {"polluted": "c"}}}},' +
  ' "__proto__": {"polluted": "top"}}';

afterEach(unpolluted);

describe('keys named __proto__, constructor, prototype', () => {
  it('a recipe parsed from text keeps them as plain data and rejects the top-level one clearly', () => {
    const recipe = new Recipe(hostile);
    unpolluted();
    expect(recipe.has('__proto__')).toBe(true);
    expect(recipe.get('__proto__')).toEqual({ polluted: 'top' });
    const parameters = recipe.step(1)!.parameters as Record<string, unknown>;
    expect(Object.getPrototypeOf(parameters)).toBe(Object.prototype);
    expect(Object.keys(parameters)).toEqual(['__proto__', 'constructor']);
    expect(() => recipe.validate()).toThrow('Invalid recipe: Node "__proto__" is not numeric');
  });

  it('serialising, copying, equality and merging keep them as data and pollute nothing', () => {
    const recipe = new Recipe(hostile);
    const document = recipe.toJSON();
    expect(Object.prototype.hasOwnProperty.call(document, '__proto__')).toBe(true);
    expect(JSON.parse(recipe.serialize())).toEqual(JSON.parse(hostile));
    expect(recipe.clone().equals(recipe)).toBe(true);
    expect(new Recipe(recipe.toJSON()).equals(recipe)).toBe(true);
    const valid = new Recipe(hostile.replace(', "__proto__": {"polluted": "top"}', ''));
    const merged = valid.merge(valid);
    expect(merged.isValid()).toBe(true);
    expect(Object.keys(merged.step(2)!.parameters!)).toEqual(['__proto__', 'constructor']);
  });

  it('parameters: inherited names are unknown, and such keys in values or parameters stay data', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'prototype']) {
      expect(applyParametersTo(`{${name}}`, {})).toBe(`{${name}}`);
      expect(applyParametersTo(`{$REPLACE:${name}}`, {})).toBeNull();
      expect(applyParametersTo(`{d[${name}]}`, { d: {} })).toBe(`{d[${name}]}`);
    }
    const parameters = JSON.parse('{"__proto__": {"polluted": "param"}, "key": "__proto__"}') as Record<
      string,
      unknown
    >;
    expect(applyParametersTo('{__proto__}', parameters)).toBe("{'polluted': 'param'}");
    const filled = applyParametersTo({ '{key}': { polluted: 'via key' } }, parameters);
    expect(Object.prototype.hasOwnProperty.call(filled, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(filled)).toBe(Object.prototype);
    const copied = applyParametersTo('{$REPLACE:__proto__}', parameters);
    expect(copied).toEqual({ polluted: 'param' });
  });

  it('a recipe message carrying them in payload and environment is delivered as plain data', async () => {
    const transport = await memoryTransport(new MemoryBroker());
    const seen: Array<{ payload: unknown; environment: unknown }> = [];
    await wrapSubscribe(
      transport,
      'hostile',
      async (wrapper, header) => {
        seen.push({ payload: wrapper.payload, environment: wrapper.environment });
        await transport.ack(header);
      },
      { acknowledgement: true, logger: new RecordingLogger() },
    );
    const body =
      '{"recipe": {"1": {"queue": "hostile"}, "start": [[1, {}]]}, "recipe-pointer": 1, "recipe-path": [],' +
      ' "environment": {"ID": "x", "__proto__": {"polluted": "env"}},' +
      ' "payload": {"__proto__": {"polluted": "payload"}, "constructor": {"prototype": {"polluted": 1}}}}';
    await transport.rawSend('hostile', body, { headers: { 'workflows-recipe': true } });
    await until(() => seen.length === 1);
    const payload = seen[0].payload as Record<string, unknown>;
    expect(Object.keys(payload)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
    const wrapper = RecipeWrapper.fromMessage(JSON.parse(body), undefined);
    expect(wrapper.recipeId).toBe('x');
    await transport.disconnect();
  });

  it('sendTo an output named like an inherited property sends nowhere', async () => {
    const transport = await memoryTransport(new MemoryBroker());
    const wrapper = RecipeWrapper.fromMessage(
      {
        recipe: { '1': { queue: 'a', output: { ok: 2 } }, '2': { queue: 'b' }, start: [[1, {}]] },
        'recipe-pointer': 1,
        payload: null,
      },
      transport,
    );
    const sent: unknown[] = [];
    await transport.subscribe('b', (_header: ReceivedHeaders, message) => void sent.push(message));
    for (const name of ['constructor', 'toString', '__proto__']) await wrapper.sendTo(name, 'x');
    await wrapper.sendTo('ok', 'y');
    await until(() => sent.length === 1);
    expect(sent).toHaveLength(1);
    await transport.disconnect();
  });
});
