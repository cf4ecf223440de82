import { Recipe, RecipeParameterError, applyParametersTo } from '../src';

// Expected outputs below were produced by CPython 3.11's string.Formatter with python-workflows'
// SafeDict/SafeString (recipe.py, apply_parameters) and by format(value, spec).
const parameters = { x: 'X', n: 5, f: 0.1, l: [1, 2], d: { a: { b: 'deep' } }, t: true, none: null };

describe('applyParameters: Python string.Formatter semantics', () => {
  it.each([
    ['{x}', 'X'],
    ['queue.{x}.{n}', 'queue.X.5'],
    ['{f}', '0.1'],
    ['{t} {none}', 'True None'],
    ['{l}', '[1, 2]'],
    ['{l[0]}', '1'],
    ['{d}', "{'a': {'b': 'deep'}}"],
    ['{d[a][b]}', 'deep'],
    ['{x!r}', "'X'"],
    ['{n:05d}', '00005'],
    ['{x:{n}}', 'X    '],
    ['a {{b}} c', 'a {b} c'],
    ['{{{x}}}', '{X}'],
    // unknown names stay (as python-workflows' SafeString prints them)
    ['{unknown}', '{unknown}'],
    ['{y[k][j]}', '{y[k][j]}'],
    ['{y!r}', '{y}'],
    ['{y!r:>5}', '  {y}'],
    ['{[k]}', '{[k]}'],
    ['pre {x} mid {unknown} post {n}', 'pre X mid {unknown} post 5'],
  ])('%j becomes %j', (template, expected) => {
    expect(applyParametersTo(template, parameters)).toBe(expected);
  });

  it.each([
    ['{y:>5}', 'an unknown name with a format spec (Python: TypeError)'],
    ['{}', 'a positional field (Python: IndexError)'],
    ['{0}', 'a numbered field (Python: IndexError)'],
    ['{x.upper}', 'attribute access (Python prints a bound method)'],
    ['{d[zz]}', 'a missing key of a known object (Python: KeyError)'],
    ['{l[9]}', 'an index past the end of a list (Python: IndexError)'],
    ['{y[0]}', 'an index into an unknown name (Python: TypeError)'],
  ])('leaves %j alone: %s', (template) => {
    expect(applyParametersTo(template, parameters)).toBe(template);
  });

  it.each([
    ['}', "Single '}' encountered in format string"],
    ['{', "Single '{' encountered in format string"],
    ['{x', "expected '}' before end of string"],
    ['{x!z}', 'Unknown conversion specifier z'],
    ['{x:{y}}', "Invalid format specifier '{y}' for object of type 'str'"],
    ['{x:{n:{n}}}', 'Max string recursion exceeded'],
    ['{n:s}', "Unknown format code 's' for object of type 'int'"],
    ['{d:>3}', 'unsupported format string passed to dict.__format__'],
  ])('fails on %j as Python does (%s)', (template, reason) => {
    expect(() => applyParametersTo(template, parameters)).toThrow(RecipeParameterError);
    expect(() => applyParametersTo(template, parameters)).toThrow(reason);
  });

  it.each([
    ['ab', '^7', '  ab   '],
    ['ab', '*>6', '****ab'],
    ['ab', '05', 'ab000'],
    [1234, '010,', '00,001,234'],
    [1234, '08,', '0,001,234'],
    [255, '#x', '0xff'],
    [255, '#X', '0XFF'],
    [255, 'b', '11111111'],
    [-42, '+d', '-42'],
    [42, ' d', ' 42'],
    [1234567, '_', '1_234_567'],
    [0xabcdef, '_x', 'ab_cdef'],
    [true, '>5', '    1'],
    [1.5, '.0f', '2'],
    [2.5, '.0f', '2'],
    [0.125, '.2f', '0.12'],
    [1234.5, '.2', '1.2e+03'],
    [12.5, '.2', '1.2e+01'],
    [0.00001, '', '1e-05'],
    [1.5e-7, 'e', '1.500000e-07'],
    [12345.678, 'g', '12345.7'],
    [0.0001234, 'g', '0.0001234'],
    [123456789.5, 'g', '1.23457e+08'],
    [0.5, '%', '50.000000%'],
    [0.25, '.1%', '25.0%'],
    [1234567.891, ',.2f', '1,234,567.89'],
    [3.14159, '=+10.3f', '+    3.142'],
    [-3.5, '010.2f', '-000003.50'],
    [100.5, '#.3g', '100.'],
    [65, '3c', '  A'],
    [7, 'e', '7.000000e+00'],
    [1e22, 'f', '10000000000000000000000.000000'],
    [0.1, '.20f', '0.10000000000000000555'],
    [-0.0001, 'z.2f', '0.00'],
  ])('formats %j with spec %j as %j', (value, spec, expected) => {
    expect(applyParametersTo(`{v:${spec}}`, { v: value })).toBe(expected);
  });

  it('fills in keys as well as values', () => {
    expect(applyParametersTo({ '{x}': '{y}' }, { x: '5' })).toEqual({ '5': '{y}' });
    expect(applyParametersTo({ '{x}': '{y}' }, { y: '5' })).toEqual({ '{x}': '5' });
    expect(applyParametersTo({ '{x}': '{y}' }, { x: '3', y: '5' })).toEqual({ '3': '5' });
  });
});

describe('applyParameters: {$REPLACE:name}', () => {
  const replacements = {
    name: 'replacement',
    'some-list': [1, 2, 3],
    nested: { 'some-dictionary': { number: 3, oddlist: [1, 3, 5], text: 'string', dict: { key: 'value' } } },
  };

  it('puts a deep copy of the parameter in place of the string, or null', () => {
    const recipe = new Recipe({
      '1': {
        queue: 'q.{name}',
        parameters: {
          list: '{$REPLACE:some-list}',
          dictionary: '{$REPLACE:nested}',
          'deep-dictionary': '{$REPLACE:nested[some-dictionary]}',
          undefined: '{$REPLACE:undefined}',
          'undefined-deep-dictionary': '{$REPLACE:nested[undefined-dictionary]}',
        },
      },
      start: [[1, {}]],
    }).applyParameters(replacements);
    const step = recipe.step(1)!;
    const filled = step.parameters as Record<string, unknown>;
    expect(step.queue).toBe('q.replacement');
    expect(filled.list).toEqual([1, 2, 3]);
    expect(filled.list).not.toBe(replacements['some-list']);
    expect(filled.dictionary).toEqual(replacements.nested);
    expect((filled.dictionary as Record<string, unknown>)['some-dictionary']).not.toBe(
      replacements.nested['some-dictionary'],
    );
    expect(filled['deep-dictionary']).toEqual(replacements.nested['some-dictionary']);
    expect(filled.undefined).toBeNull();
    expect(filled['undefined-deep-dictionary']).toBeNull();
  });

  it('replaces numbers and nulls as themselves, and follows Python for odd forms', () => {
    expect(applyParametersTo('{$REPLACE:n}', { n: 5 })).toBe(5);
    expect(applyParametersTo('{$REPLACE:n}', { n: null })).toBeNull();
    expect(applyParametersTo('{$REPLACE}', { n: 5 })).toBeNull();
    // Python slices off "{$REPLACE:" and formats the rest: the last field's value wins
    expect(applyParametersTo('{$REPLACE:x}{n}', { x: 'a', n: 5 })).toBe(5);
    expect(applyParametersTo('{$REPLACE:x}{n}', { n: 5 })).toBeNull();
  });
});

describe('applyParameters on a recipe', () => {
  const template = {
    '1': { service: 'A service', queue: 'some.queue.{first}', output: [2], error: 2 },
    '2': { service: 'B service', queue: 'another.queue.{name}' },
    start: [[1, { dcid: '{dcid}' }]],
    error: [2],
  };

  it('fills in every string, in steps and start payloads, and leaves unknown names', () => {
    const recipe = new Recipe(template).applyParameters({ name: 'replacement', dcid: 1234 });
    expect(recipe.step(1)?.queue).toBe('some.queue.{first}');
    expect(recipe.step(2)?.queue).toBe('another.queue.replacement');
    expect(recipe.start).toEqual([[1, { dcid: '1234' }]]);
    expect(recipe.isValid()).toBe(true);
  });

  it('returns a new recipe and leaves the original as it was', () => {
    const original = new Recipe(template);
    const filled = original.applyParameters({ name: 'x' });
    expect(original.step(2)?.queue).toBe('another.queue.{name}');
    expect(filled.step(2)?.queue).toBe('another.queue.x');
  });

  it('with no parameters changes nothing', () => {
    const original = new Recipe(template);
    expect(original.applyParameters({}).equals(original)).toBe(true);
  });

  it('refuses parameters that are not an object', () => {
    expect(() => new Recipe(template).applyParameters([1] as unknown as Record<string, unknown>)).toThrow(
      'Invalid recipe parameters: parameters must be an object of names to values, got array',
    );
  });
});
