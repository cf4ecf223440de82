/** Process signal handlers for graceful shutdown, installable and removable (for tests). */

/** The signals a service shuts down on by default. */
export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * Call `onSignal` when the process receives one of `signals`. While installed, Node's default action
 * (exit) is replaced. Returns a function that removes exactly these handlers.
 */
export function installSignalHandlers(
  onSignal: (signal: NodeJS.Signals) => void,
  signals: readonly NodeJS.Signals[] = SHUTDOWN_SIGNALS,
): () => void {
  const listener = (signal: NodeJS.Signals): void => onSignal(signal);
  for (const signal of signals) process.on(signal, listener);
  return () => {
    for (const signal of signals) process.off(signal, listener);
  };
}
