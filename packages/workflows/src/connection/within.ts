/**
 * A promise bounded in time: what closing a connection, waiting for confirms on disconnect and the
 * conformance suite's bounded waits all need. The timer is cleared whichever settles first, so a
 * short-lived process is never kept alive by it and a test counting handles sees none left.
 */

/** `promise`'s value, or `undefined` once `ms` have passed first. A rejection passes through. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
