/**
 * A recipe as a graph, for `zocalo recipe graph`: the start node, every step with its service and
 * its queue and/or topic, the links of `output` (named outputs labelled with their names) and the
 * `error` links (dashed), and the recipe's own `error` steps. Written as Mermaid (for Markdown and
 * GitHub) or Graphviz DOT here, or SVG by @zocalo/recipes' `toSvg` (the arrows are its `recipeEdges`).
 */
import type { Recipe, RecipeEdge } from '@zocalo/recipes';
import { recipeEdges, stepLines } from '@zocalo/recipes';

export type { RecipeEdge } from '@zocalo/recipes';
export { recipeEdges } from '@zocalo/recipes';

function mermaidText(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

/** The recipe as a Mermaid flowchart. */
export function toMermaid(recipe: Recipe): string {
  const out = ['flowchart TD', '  start(["start"])'];
  if (recipe.error !== undefined) out.push('  error{{"error"}}');
  for (const number of recipe.stepNumbers) {
    const label = stepLines(number, recipe.step(number)!).map(mermaidText).join('<br/>');
    out.push(`  s${number}["${label}"]`);
  }
  const id = (node: RecipeEdge['from']): string => (typeof node === 'number' ? `s${node}` : node);
  for (const edge of recipeEdges(recipe)) {
    const arrow = edge.kind === 'error' ? '-.->' : '-->';
    const label = edge.label === undefined ? '' : `|"${mermaidText(edge.label)}"|`;
    out.push(`  ${id(edge.from)} ${arrow}${label} ${id(edge.to)}`);
  }
  return `${out.join('\n')}\n`;
}

function dotText(text: string): string {
  return JSON.stringify(text);
}

/** The recipe as a Graphviz DOT digraph. */
export function toDot(recipe: Recipe): string {
  const out = ['digraph recipe {', '  rankdir=TB;', '  node [shape=box];', '  start [shape=oval];'];
  if (recipe.error !== undefined) out.push('  error [shape=hexagon];');
  for (const number of recipe.stepNumbers) {
    out.push(`  s${number} [label=${dotText(stepLines(number, recipe.step(number)!).join('\n'))}];`);
  }
  const id = (node: RecipeEdge['from']): string => (typeof node === 'number' ? `s${node}` : node);
  for (const edge of recipeEdges(recipe)) {
    const attributes: string[] = [];
    if (edge.label !== undefined) attributes.push(`label=${dotText(edge.label)}`);
    if (edge.kind === 'error') attributes.push('style=dashed', 'color=red');
    out.push(
      `  ${id(edge.from)} -> ${id(edge.to)}${attributes.length ? ` [${attributes.join(', ')}]` : ''};`,
    );
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
