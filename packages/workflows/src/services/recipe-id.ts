/**
 * The recipe ID of a message: `environment.ID` of a recipe envelope (wire-format.md). Read
 * defensively: any message may arrive, and only a string or number counts.
 */
export function recipeIdOf(message: unknown): string | undefined {
  if (message === null || typeof message !== 'object') return undefined;
  const environment = (message as { environment?: unknown }).environment;
  if (environment === null || typeof environment !== 'object') return undefined;
  const id = (environment as { ID?: unknown }).ID;
  if (typeof id === 'string' && id.length > 0) return id;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  return undefined;
}
