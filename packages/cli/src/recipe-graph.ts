/**
 * A recipe as a graph, for `zocalo recipe graph`: the start node, every step with its service and
 * its queue and/or topic, the links of `output` (named outputs labelled with their names) and the
 * `error` links (dashed), and the recipe's own `error` steps. Written as Mermaid (for Markdown and
 * GitHub) or Graphviz DOT.
 */
import type { Recipe, RecipeStep, StepNumber } from '@zocalo/recipes';

/** One arrow of the graph. */
export interface RecipeEdge {
  readonly from: 'start' | 'error' | StepNumber;
  readonly to: StepNumber;
  /** A named output's name. */
  readonly label?: string;
  readonly kind: 'start' | 'output' | 'error';
}

function links(value: unknown): StepNumber[] {
  if (typeof value === 'number') return [value];
  if (Array.isArray(value)) return value.filter((item): item is number => typeof item === 'number');
  return [];
}

/** The arrows of a (valid) recipe, in recipe order. */
export function recipeEdges(recipe: Recipe): RecipeEdge[] {
  const edges: RecipeEdge[] = [];
  const seenStart = new Set<StepNumber>();
  for (const [step] of recipe.start) {
    if (seenStart.has(step)) continue;
    seenStart.add(step);
    edges.push({ from: 'start', to: step, kind: 'start' });
  }
  for (const step of links(recipe.error)) edges.push({ from: 'error', to: step, kind: 'error' });
  for (const number of recipe.stepNumbers) {
    const step = recipe.step(number)!;
    const output = step.output;
    if (output !== undefined && !Array.isArray(output) && typeof output === 'object') {
      for (const [name, targets] of Object.entries(output)) {
        for (const to of links(targets)) edges.push({ from: number, to, label: name, kind: 'output' });
      }
    } else {
      for (const to of links(output)) edges.push({ from: number, to, kind: 'output' });
    }
    for (const to of links(step.error)) edges.push({ from: number, to, kind: 'error' });
  }
  return edges;
}

function stepLines(number: StepNumber, step: RecipeStep): string[] {
  const lines = [`${number}: ${step.service ?? 'step'}`];
  if (step.queue) lines.push(`queue ${step.queue}`);
  if (step.topic) lines.push(`topic ${step.topic}`);
  return lines;
}

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
