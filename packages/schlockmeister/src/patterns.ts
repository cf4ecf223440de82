/**
 * Queue name patterns: `*` matches any run of characters (dots included), everything else literally.
 * `transient.*` ignores every temporary queue; `DLQ.*` every ActiveMQ dead-letter queue.
 */

/** Queues Schlockmeister never watches: temporary queues, dead-letter queues, the broker's own. */
export const DEFAULT_IGNORE: readonly string[] = ['transient.*', 'DLQ.*', 'dlq.*', 'ActiveMQ.*'];

function patternRegExp(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

/** True when the name matches at least one of the patterns. */
export function matchesAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => patternRegExp(pattern).test(name));
}
