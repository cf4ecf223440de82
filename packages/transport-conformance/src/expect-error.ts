import { expect } from './expect';

/**
 * Assert that an operation fails with a Zocalo error class, by name: a third-party transport may
 * load its own copy of @zocalo/workflows, where `instanceof` would wrongly fail.
 */
export async function expectError(
  operation: Promise<unknown> | (() => unknown),
  errorName: string,
): Promise<Error> {
  let outcome: unknown;
  try {
    outcome = await (typeof operation === 'function' ? operation() : operation);
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe(errorName);
    expect((error as Error).message.length).toBeGreaterThan(10);
    return error as Error;
  }
  throw new Error(`expected ${errorName}, but the operation succeeded with ${JSON.stringify(outcome)}`);
}
