/**
 * The test runner the suite registers its tests with, taken from the caller (as keyv's test suite
 * takes `test`), so that a transport can prove itself under jest, vitest or node:test.
 */
import { ZocaloError } from '@zocalo/workflows';

/** A test or hook body. */
export type TestBody = () => Promise<unknown> | void;

/**
 * The four functions the suite needs. jest's and vitest's globals fit as they are (`it` and the hooks
 * take a timeout in ms as their last argument); for node:test use {@link nodeTestRunner}.
 */
export interface ConformanceRunner {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: TestBody, timeout?: number): unknown;
  beforeEach(body: TestBody, timeout?: number): unknown;
  afterEach(body: TestBody, timeout?: number): unknown;
}

/** Thrown when no runner was given and no jest or vitest globals exist. */
export class ConformanceRunnerError extends ZocaloError {}

/** What node:test exports (`import { describe, it, beforeEach, afterEach } from 'node:test'`). */
export interface NodeTestFunctions {
  describe(name: string, fn: () => void): unknown;
  it(name: string, options: { timeout?: number }, fn: () => Promise<unknown> | void): unknown;
  beforeEach(fn: () => Promise<unknown> | void, options?: { timeout?: number }): unknown;
  afterEach(fn: () => Promise<unknown> | void, options?: { timeout?: number }): unknown;
}

/** node:test takes a test's timeout as an option before the body; this adapts it. */
export function nodeTestRunner(test: NodeTestFunctions): ConformanceRunner {
  return {
    describe: (name, body) => test.describe(name, body),
    it: (name, body, timeout) => test.it(name, { timeout }, body),
    beforeEach: (body, timeout) => test.beforeEach(body, { timeout }),
    afterEach: (body, timeout) => test.afterEach(body, { timeout }),
  };
}

/** jest's or vitest's globals (`globals: true`), when the file runs under one of them. */
function globalRunner(): ConformanceRunner {
  const scope = globalThis as Partial<Record<keyof ConformanceRunner, unknown>>;
  const { describe, it, beforeEach, afterEach } = scope;
  if (
    typeof describe !== 'function' ||
    typeof it !== 'function' ||
    typeof beforeEach !== 'function' ||
    typeof afterEach !== 'function'
  ) {
    throw new ConformanceRunnerError(
      'transport conformance: no test runner given and no describe/it/beforeEach/afterEach globals ' +
        'found; pass `runner: { describe, it, beforeEach, afterEach }` (vitest: import them from ' +
        "'vitest'; node:test: runner: nodeTestRunner(await import('node:test')))",
    );
  }
  return { describe, it, beforeEach, afterEach } as ConformanceRunner;
}

/** The options that say which runner, and how long a test may take. */
export interface RunnerOptions {
  readonly runner?: ConformanceRunner;
  readonly timeout?: number;
  readonly testTimeout?: number;
}

/** The runner with the suite's timeout applied to every test and hook. */
export function runnerFor(options: RunnerOptions): ConformanceRunner {
  const runner = options.runner ?? globalRunner();
  // Tests wait up to `timeout` for a message, so the runner's own limit must be well above it.
  const limit = options.testTimeout ?? Math.max(30_000, (options.timeout ?? 5000) * 4);
  return {
    describe: (name, body) => runner.describe(name, body),
    it: (name, body, timeout = limit) => runner.it(name, body, timeout),
    beforeEach: (body, timeout = limit) => runner.beforeEach(body, timeout),
    afterEach: (body, timeout = limit) => runner.afterEach(body, timeout),
  };
}
