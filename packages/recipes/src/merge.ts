/**
 * Merging two recipes (recipes.md, "Merge"), as python-workflows' `Recipe.merge`: b's steps are
 * copied into a under new numbers starting at max(1, largest step number of a) + 1, in b's order;
 * b's links are rewritten to the new numbers; b's start entries are appended to a's; the error
 * lists are joined. Unlike Python's, neither input is modified.
 */
import { copyJson, hasOwn, isPlainObject } from './json';
import type { JsonObject } from './json';
import type { RecipeNodes } from './validate';
import type { RecipeKey } from './types';

/** Merge the entries of two valid, non-empty recipes. */
export function mergeNodes(a: RecipeNodes, b: RecipeNodes): Map<RecipeKey, unknown> {
  return mergeAllNodes([a, b]);
}

/**
 * Merge the entries of valid, non-empty recipes in order: what merging them two at a time gives
 * (`mergeNodes(mergeNodes(a, b), c)`), in time linear in their size. The result is built in one map
 * that grows; merging two at a time copies everything merged so far at every step, which for
 * thousands of recipes is quadratic.
 */
export function mergeAllNodes(all: readonly RecipeNodes[]): Map<RecipeKey, unknown> {
  const merged = new Map<RecipeKey, unknown>();
  if (all.length === 0) return merged;
  for (const [key, value] of all[0]) merged.set(key, copyJson(value));
  // A loop, not Math.max(...numbers): spreading 100,000 arguments overflows the stack
  let largest = 1;
  for (const key of merged.keys()) if (typeof key === 'number' && key > largest) largest = key;
  for (let index = 1; index < all.length; index++) largest = append(merged, all[index], largest);
  return merged;
}

/**
 * Copy b's entries into `merged`, whose largest step number (or 1) is `largest`; returns the new
 * largest. `merged` holds copies only, so its `start` and `error` lists may grow in place.
 */
function append(merged: Map<RecipeKey, unknown>, b: RecipeNodes, largest: number): number {
  let next = largest + 1;
  const translation = new Map<number, number>();
  for (const [key, value] of b) {
    if (typeof key !== 'number') continue;
    if (!translation.has(key)) translation.set(key, next++);
    merged.set(translation.get(key)!, copyJson(value));
  }

  const translate = (links: unknown): unknown => {
    if (Array.isArray(links)) return links.map(translate);
    if (isPlainObject(links)) {
      return Object.fromEntries(Object.entries(links).map(([name, value]) => [name, translate(value)]));
    }
    return typeof links === 'number' ? (translation.get(links) ?? links) : links;
  };

  for (const number of translation.values()) {
    const step = merged.get(number);
    if (!isPlainObject(step)) continue;
    for (const outgoing of ['output', 'error']) {
      if (hasOwn(step, outgoing)) (step as JsonObject)[outgoing] = translate(step[outgoing]);
    }
  }

  const start = merged.get('start') as unknown[];
  for (const [step, payload] of b.get('start') as unknown[][])
    start.push([translate(step), copyJson(payload)]);

  if (b.has('error')) {
    const errorB = b.get('error');
    if (!merged.has('error')) {
      merged.set('error', translate(errorB));
    } else {
      const errorA = merged.get('error');
      const joined: unknown[] = Array.isArray(errorA) ? errorA : [errorA];
      const translated = translate(errorB);
      if (Array.isArray(translated)) for (const link of translated) joined.push(link);
      else joined.push(translated);
      merged.set('error', joined);
    }
  }
  return next - 1;
}
