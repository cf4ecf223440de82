import { Recipe, recipeEdges, toSvg } from '../src';

const recipe = new Recipe({
  1: { service: 'Find <spots>', queue: 'find', output: { hits: 2, misses: [3] }, error: 4 },
  2: { service: 'Collect', queue: 'collect', output: 1 },
  3: { service: 'Log "misses"', topic: 'misses' },
  4: { service: 'Complain', queue: 'complain' },
  start: [[1, {}]],
});

test('recipeEdges: start, named outputs with their names, error links', () => {
  expect(recipeEdges(recipe)).toEqual([
    { from: 'start', to: 1, kind: 'start' },
    { from: 1, to: 2, label: 'hits', kind: 'output' },
    { from: 1, to: 3, label: 'misses', kind: 'output' },
    { from: 1, to: 4, kind: 'error' },
    { from: 2, to: 1, kind: 'output' },
  ]);
});

test('toSvg: one box per step, escaped text, a line per arrow, error links dashed', () => {
  const svg = toSvg(recipe);
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  expect(svg).toContain('1: Find &lt;spots&gt;');
  expect(svg).toContain('3: Log &quot;misses&quot;');
  expect(svg).not.toContain('<spots>');
  expect(svg.match(/<g class="node"/g)).toHaveLength(5);
  expect(svg.match(/<line class="edge/g)).toHaveLength(5);
  expect(svg).toMatch(/<line class="edge error"[^>]*stroke-dasharray/);
  expect(svg).toContain('>hits</text>');
});
