/**
 * A recipe as a graph: its arrows ({@link recipeEdges}: start, `output` links — named outputs
 * labelled — and `error` links) and a self-contained SVG drawing of it ({@link toSvg}), what
 * `zocalo recipe graph --format svg` prints and `zocalo dashboard` shows. The Mermaid and DOT
 * writers of `zocalo recipe graph` (@zocalo/cli) draw the same arrows.
 */
import type { Recipe } from './recipe';
import type { RecipeStep, StepNumber } from './types';

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

/** The lines a step's box shows: `N: service`, its queue and/or topic. */
export function stepLines(number: StepNumber, step: RecipeStep): string[] {
  const lines = [`${number}: ${step.service ?? 'step'}`];
  if (step.queue) lines.push(`queue ${step.queue}`);
  if (step.topic) lines.push(`topic ${step.topic}`);
  return lines;
}

/** Text for SVG content and attribute values. */
function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const BOX_HEIGHT_LINE = 16;
const CHAR_WIDTH = 7;
const GAP_X = 40;
const GAP_Y = 60;

/**
 * The recipe as a standalone SVG document: one row per distance from the start (steps reached only
 * through error links below the rest), boxes with each step's service and destinations, arrows with
 * the named outputs' names, error links dashed red. Every text is XML-escaped.
 */
export function toSvg(recipe: Recipe): string {
  const edges = recipeEdges(recipe);
  type Node = 'start' | 'error' | StepNumber;
  const nodes: Node[] = [
    'start',
    ...(recipe.error !== undefined ? (['error'] as const) : []),
    ...recipe.stepNumbers,
  ];
  // Rows: breadth-first distance from the start along every arrow (a cycle keeps the first distance).
  const row = new Map<Node, number>([['start', 0]]);
  if (recipe.error !== undefined) row.set('error', 0);
  const queue: Node[] = ['start', ...(recipe.error !== undefined ? (['error'] as const) : [])];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const edge of edges) {
      if (edge.from !== node || row.has(edge.to)) continue;
      row.set(edge.to, row.get(node)! + 1);
      queue.push(edge.to);
    }
  }
  const deepest = Math.max(0, ...row.values());
  for (const number of recipe.stepNumbers) if (!row.has(number)) row.set(number, deepest + 1);
  const label = (node: Node): string[] =>
    typeof node === 'number' ? stepLines(node, recipe.step(node)!) : [node];
  const size = new Map<Node, { w: number; h: number }>();
  for (const node of nodes) {
    const lines = label(node);
    size.set(node, {
      w: Math.max(60, ...lines.map((line) => line.length * CHAR_WIDTH + 20)),
      h: lines.length * BOX_HEIGHT_LINE + 12,
    });
  }
  const rows = new Map<number, Node[]>();
  for (const node of nodes) rows.set(row.get(node)!, [...(rows.get(row.get(node)!) ?? []), node]);
  const place = new Map<Node, { x: number; y: number; w: number; h: number }>();
  const rowWidths = [...rows.values()].map((members) =>
    members.reduce<number>((sum, node) => sum + size.get(node)!.w + GAP_X, -GAP_X),
  );
  const width = Math.max(...rowWidths) + 40;
  let y = 20;
  for (const index of [...rows.keys()].sort((a, b) => a - b)) {
    const members = rows.get(index)!;
    const used = members.reduce<number>((sum, node) => sum + size.get(node)!.w + GAP_X, -GAP_X);
    let x = (width - used) / 2;
    const height = Math.max(...members.map((node) => size.get(node)!.h));
    for (const node of members) {
      const { w, h } = size.get(node)!;
      place.set(node, { x, y, w, h });
      x += w + GAP_X;
    }
    y += height + GAP_Y;
  }
  const height = y - GAP_Y + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(height)}" ` +
      `viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" font-family="sans-serif" font-size="12">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
      '<path d="M 0 0 L 10 5 L 0 10 z" fill="#444"/></marker>' +
      '<marker id="arrow-error" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">' +
      '<path d="M 0 0 L 10 5 L 0 10 z" fill="#c62828"/></marker></defs>',
  ];
  for (const edge of edges) {
    const a = place.get(edge.from)!;
    const b = place.get(edge.to)!;
    const x1 = a.x + a.w / 2;
    const x2 = b.x + b.w / 2;
    // Downwards from the bottom edge, upwards (a loop back) from the top edge.
    const down = b.y > a.y;
    const y1 = down ? a.y + a.h : a.y;
    const y2 = down ? b.y : b.y + b.h;
    const error = edge.kind === 'error';
    out.push(
      `<line class="edge ${edge.kind}" x1="${x1.toFixed(1)}" y1="${y1}" x2="${x2.toFixed(1)}" y2="${y2}" ` +
        `stroke="${error ? '#c62828' : '#444'}"${error ? ' stroke-dasharray="5,4"' : ''} ` +
        `marker-end="url(#${error ? 'arrow-error' : 'arrow'})"/>`,
    );
    if (edge.label !== undefined) {
      out.push(
        `<text class="edge-label" x="${((x1 + x2) / 2 + 4).toFixed(1)}" y="${((y1 + y2) / 2).toFixed(1)}" fill="#555">${xml(edge.label)}</text>`,
      );
    }
  }
  for (const node of nodes) {
    const { x, y: top, w, h } = place.get(node)!;
    const special = typeof node !== 'number';
    const fill = node === 'error' ? '#fdecea' : special ? '#e8eaf6' : '#ffffff';
    out.push(
      `<g class="node" data-step="${xml(String(node))}"><rect x="${x.toFixed(1)}" y="${top}" width="${w}" height="${h}" ` +
        `rx="${special ? h / 2 : 4}" fill="${fill}" stroke="#555"/>`,
    );
    label(node).forEach((line, index) => {
      out.push(
        `<text x="${(x + w / 2).toFixed(1)}" y="${top + 18 + index * BOX_HEIGHT_LINE}" text-anchor="middle"${index === 0 ? ' font-weight="bold"' : ' fill="#555"'}>${xml(line)}</text>`,
      );
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
