import { ZOCALO_ERROR_CODES, isZocaloError } from '@zocalo/workflows';
import { expect } from './expect';

/**
 * Assert that an operation fails with a Zocalo error class (or a subclass of it), by its code: a
 * third-party transport may load its own copy of @zocalo/workflows, whose errors carry the same codes.
 */
export async function expectError(
  operation: Promise<unknown> | (() => unknown),
  errorName: keyof typeof ZOCALO_ERROR_CODES,
): Promise<Error> {
  let outcome: unknown;
  try {
    outcome = await (typeof operation === 'function' ? operation() : operation);
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    const code = ZOCALO_ERROR_CODES[errorName];
    if (!isZocaloError(error, code)) {
      throw new Error(`expected ${errorName} (code ${code}), got ${String(error)}`, { cause: error });
    }
    expect((error as Error).message.length).toBeGreaterThan(10);
    return error as Error;
  }
  throw new Error(`expected ${errorName}, but the operation succeeded with ${JSON.stringify(outcome)}`);
}
