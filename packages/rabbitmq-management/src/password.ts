/**
 * RabbitMQ's password hashes, as its internal user database stores them and the management API shows
 * them (`password_hash`): base64 of a 4-byte salt followed by the digest of salt + UTF-8 password.
 * `hashPassword` is python-zocalo's `hash_password` (`rabbit_password_hashing_sha256`) byte for byte.
 */
import { createHash, randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '@zocalo/workflows';

/** The hashing modules RabbitMQ knows (a user's `hashing_algorithm`). */
export type HashingAlgorithm =
  'rabbit_password_hashing_sha256' | 'rabbit_password_hashing_sha512' | 'rabbit_password_hashing_md5';

export const SHA256: HashingAlgorithm = 'rabbit_password_hashing_sha256';

const DIGESTS: Readonly<Record<HashingAlgorithm, string>> = {
  rabbit_password_hashing_sha256: 'sha256',
  rabbit_password_hashing_sha512: 'sha512',
  rabbit_password_hashing_md5: 'md5',
};

const SALT_BYTES = 4;

/** The salt of a stored hash: the first 4 bytes of its base64. */
function saltOf(hash: string): Buffer {
  const bytes = Buffer.from(hash, 'base64');
  if (bytes.length < SALT_BYTES || !/^[A-Za-z0-9+/]*={0,2}$/.test(hash)) {
    throw new InvalidArgumentError(
      `not a RabbitMQ password hash (base64 of salt and digest): ${hash.length} characters`,
    );
  }
  return bytes.subarray(0, SALT_BYTES);
}

/**
 * The hash RabbitMQ stores for `password`: `base64(salt + sha256(salt + utf8(password)))`. `salt` is
 * either an existing hash (its first 4 bytes are taken, as python-zocalo does to check whether a user's
 * password changed) or 4 raw bytes; without one a random salt is drawn.
 */
export function hashPassword(
  password: string,
  salt?: string | Uint8Array,
  algorithm: HashingAlgorithm = SHA256,
): string {
  let saltBytes: Buffer;
  if (salt === undefined) saltBytes = randomBytes(SALT_BYTES);
  else if (typeof salt === 'string') saltBytes = saltOf(salt);
  else if (salt.length === SALT_BYTES) saltBytes = Buffer.from(salt);
  else throw new InvalidArgumentError(`a RabbitMQ password salt is ${SALT_BYTES} bytes, not ${salt.length}`);
  const digest = DIGESTS[algorithm];
  if (digest === undefined)
    throw new InvalidArgumentError(`unknown RabbitMQ hashing algorithm ${String(algorithm)}`);
  const hashed = createHash(digest).update(saltBytes).update(Buffer.from(password, 'utf8')).digest();
  return Buffer.concat([saltBytes, hashed]).toString('base64');
}

/** Whether `password` is the one `hash` was made from (with the user's algorithm; default sha256). */
export function passwordMatches(
  password: string,
  hash: string,
  algorithm: HashingAlgorithm = SHA256,
): boolean {
  if (hash === '') return false;
  try {
    return hashPassword(password, hash, algorithm) === hash;
  } catch {
    return false;
  }
}
