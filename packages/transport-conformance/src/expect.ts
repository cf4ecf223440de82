/**
 * The few assertions the suite uses, with jest's names and meaning, on node:assert: the suite runs
 * under any test runner (jest, vitest, node:test) without jest's `expect`. A failure throws
 * node:assert's AssertionError (with `actual` and `expected`), which every runner reports with a diff.
 */
import { AssertionError } from 'node:assert';
import { inspect } from 'node:util';

/** Structural equality as jest's `toEqual`: undefined properties are ignored, classes are not compared. */
export function deepEqual(actual: unknown, expected: unknown): boolean {
  if (Object.is(actual, expected)) return true;
  if (typeof actual !== 'object' || typeof expected !== 'object' || actual === null || expected === null) {
    return false;
  }
  if (actual instanceof Uint8Array || expected instanceof Uint8Array) {
    return (
      actual instanceof Uint8Array &&
      expected instanceof Uint8Array &&
      actual.length === expected.length &&
      actual.every((byte, index) => byte === expected[index])
    );
  }
  if (actual instanceof Date || expected instanceof Date) {
    return actual instanceof Date && expected instanceof Date && actual.getTime() === expected.getTime();
  }
  if (Array.isArray(actual) !== Array.isArray(expected)) return false;
  if (Array.isArray(actual) && Array.isArray(expected)) {
    return (
      actual.length === expected.length && actual.every((item, index) => deepEqual(item, expected[index]))
    );
  }
  const a = actual as Record<string, unknown>;
  const b = expected as Record<string, unknown>;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    if (!deepEqual(a[key], b[key])) return false;
  }
  return true;
}

function fail(message: string, actual: unknown, expected: unknown, operator: string): never {
  throw new AssertionError({ message, actual, expected, operator });
}

function show(value: unknown): string {
  return inspect(value, { depth: 6, maxArrayLength: 50, maxStringLength: 300, breakLength: Infinity });
}

/** The matchers of {@link expect}; `not` inverts the first few. */
export interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeFalsy(): void;
  toBeTruthy(): void;
  toBeUndefined(): void;
  toBeGreaterThan(bound: number): void;
  toBeGreaterThanOrEqual(bound: number): void;
  toBeLessThan(bound: number): void;
  toBeLessThanOrEqual(bound: number): void;
  toBeInstanceOf(type: abstract new (...args: never[]) => unknown): void;
  toContainEqual(item: unknown): void;
  toHaveLength(length: number): void;
  toMatch(pattern: RegExp | string): void;
}

export interface Expectation extends Matchers {
  readonly not: Pick<Matchers, 'toBe' | 'toEqual' | 'toContainEqual' | 'toMatch'>;
  /** The promise must resolve; the matcher then applies to its value. */
  readonly resolves: { toBeUndefined(): Promise<void>; toEqual(expected: unknown): Promise<void> };
}

function numeric(actual: unknown, operator: string, bound: number, holds: (value: number) => boolean): void {
  if (typeof actual !== 'number' && typeof actual !== 'bigint') {
    fail(`expected a number ${operator} ${bound}, got ${show(actual)}`, actual, bound, operator);
  }
  if (!holds(Number(actual))) fail(`expected ${show(actual)} ${operator} ${bound}`, actual, bound, operator);
}

function matches(actual: unknown, pattern: RegExp | string): boolean {
  if (typeof actual !== 'string') return false;
  return typeof pattern === 'string' ? actual.includes(pattern) : pattern.test(actual);
}

function contains(actual: unknown, item: unknown): boolean {
  return Array.isArray(actual) && actual.some((each) => deepEqual(each, item));
}

/** `expect(actual).toEqual(expected)` and the other matchers the suite uses, runner-independent. */
export function expect(actual: unknown): Expectation {
  return {
    toBe(expected) {
      if (!Object.is(actual, expected)) {
        fail(`expected ${show(actual)} to be ${show(expected)}`, actual, expected, 'strictEqual');
      }
    },
    toEqual(expected) {
      if (!deepEqual(actual, expected)) {
        fail(`expected ${show(actual)} to equal ${show(expected)}`, actual, expected, 'deepEqual');
      }
    },
    toBeFalsy() {
      if (actual) fail(`expected ${show(actual)} to be falsy`, actual, false, '==');
    },
    toBeTruthy() {
      if (!actual) fail(`expected ${show(actual)} to be truthy`, actual, true, '==');
    },
    toBeUndefined() {
      if (actual !== undefined) fail(`expected ${show(actual)} to be undefined`, actual, undefined, '===');
    },
    toBeGreaterThan: (bound) => numeric(actual, '>', bound, (value) => value > bound),
    toBeGreaterThanOrEqual: (bound) => numeric(actual, '>=', bound, (value) => value >= bound),
    toBeLessThan: (bound) => numeric(actual, '<', bound, (value) => value < bound),
    toBeLessThanOrEqual: (bound) => numeric(actual, '<=', bound, (value) => value <= bound),
    toBeInstanceOf(type) {
      if (!(actual instanceof type)) {
        fail(`expected ${show(actual)} to be an instance of ${type.name}`, actual, type, 'instanceof');
      }
    },
    toContainEqual(item) {
      if (!contains(actual, item))
        fail(`expected ${show(actual)} to contain ${show(item)}`, actual, item, 'includes');
    },
    toHaveLength(length) {
      const got = (actual as { length?: unknown } | null | undefined)?.length;
      if (got !== length) {
        fail(`expected length ${length}, got ${show(got)}: ${show(actual)}`, got, length, 'length');
      }
    },
    toMatch(pattern) {
      if (!matches(actual, pattern))
        fail(`expected ${show(actual)} to match ${show(pattern)}`, actual, pattern, 'match');
    },
    not: {
      toBe(expected) {
        if (Object.is(actual, expected))
          fail(`expected ${show(actual)} not to be it`, actual, expected, 'notStrictEqual');
      },
      toEqual(expected) {
        if (deepEqual(actual, expected))
          fail(`expected ${show(actual)} not to equal it`, actual, expected, 'notDeepEqual');
      },
      toContainEqual(item) {
        if (contains(actual, item))
          fail(`expected ${show(actual)} not to contain ${show(item)}`, actual, item, 'excludes');
      },
      toMatch(pattern) {
        if (matches(actual, pattern))
          fail(`expected ${show(actual)} not to match ${show(pattern)}`, actual, pattern, 'notMatch');
      },
    },
    resolves: {
      async toBeUndefined() {
        expect(await (actual as Promise<unknown>)).toBeUndefined();
      },
      async toEqual(expected) {
        expect(await (actual as Promise<unknown>)).toEqual(expected);
      },
    },
  };
}
