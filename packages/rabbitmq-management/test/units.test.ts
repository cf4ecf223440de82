/**
 * Without a broker: RabbitMQ's password hashes, checked against values computed with python-zocalo's
 * `hash_password` algorithm (`base64(salt + sha256(salt + utf8(password)))`, run in Python 3 with fixed
 * salts), and the errors' codes and texts.
 */
import { BrokerError, ConnectionError, InvalidArgumentError, isZocaloError } from '@zocalo/workflows';
import {
  RABBITMQ_MANAGEMENT_ERROR_CODES,
  RabbitManagement,
  RabbitManagementError,
  RabbitManagementUnreachableError,
  hashPassword,
  passwordMatches,
} from '../src';

/** [password, salt, Python's sha256 hash, Python's md5 hash]. */
const PYTHON: ReadonlyArray<readonly [string, readonly number[], string, string]> = [
  [
    'custompass',
    [1, 2, 3, 4],
    'AQIDBAVTmfdZsI557KTl7znwWFvR7o1o1xPtZt/ci5xURwBQ',
    'AQIDBB2Kg2SuWW5k1+w8iXTfcUY=',
  ],
  [
    'guest',
    [222, 173, 190, 239],
    '3q2+75aNGf124eTg+tvb47eka+41cdHPe6D/bajJtf6epOu5',
    '3q2+7x4Y1bBNV0WRhuACtRSmZec=',
  ],
  [
    'pässwörd ☃',
    [0, 0, 0, 0],
    'AAAAAAFnXtRXUT5fZAKMrJzrqNVdzHfPcTJd0xT34Ydjr+S8',
    'AAAAADGJcA72Tqy6Mnb+9WLj7LI=',
  ],
  [
    '',
    [255, 254, 253, 252],
    '//79/IwqLFdKxHHOh1kME/Dv20K9LLGbsYSTN51Fv8yQYLZX',
    '//79/IpVqv1i3D82B0PHwM8Agi4=',
  ],
];

describe('hashPassword', () => {
  it.each(PYTHON)('hashes %j as python-zocalo does', (password, salt, sha256, md5) => {
    expect(hashPassword(password, Uint8Array.from(salt))).toBe(sha256);
    // Python's way to check a user's password: hash again with the stored hash as the salt.
    expect(hashPassword(password, sha256)).toBe(sha256);
    expect(passwordMatches(password, sha256)).toBe(true);
    expect(passwordMatches(`${password}x`, sha256)).toBe(false);
    expect(hashPassword(password, Uint8Array.from(salt), 'rabbit_password_hashing_md5')).toBe(md5);
    expect(passwordMatches(password, md5, 'rabbit_password_hashing_md5')).toBe(true);
  });

  it('draws a new 4-byte salt each time', () => {
    const first = hashPassword('secret');
    const second = hashPassword('secret');
    expect(first).not.toBe(second);
    expect(Buffer.from(first, 'base64')).toHaveLength(4 + 32);
    expect(
      Buffer.from(hashPassword('secret', undefined, 'rabbit_password_hashing_sha512'), 'base64'),
    ).toHaveLength(4 + 64);
    expect(passwordMatches('secret', first)).toBe(true);
  });

  it('refuses a salt that is not one, and never matches an empty hash', () => {
    expect(() => hashPassword('x', Uint8Array.from([1, 2, 3]))).toThrow(InvalidArgumentError);
    expect(() => hashPassword('x', 'not base64!')).toThrow(/not a RabbitMQ password hash/);
    expect(passwordMatches('x', '')).toBe(false);
    expect(passwordMatches('x', '%%%')).toBe(false);
  });
});

describe('errors', () => {
  it('an HTTP error is a BrokerError with the status and the broker’s reason', () => {
    const error = new RabbitManagementError(
      'PUT',
      '/api/exchanges/v/delayed',
      400,
      '{"error":"bad_request","reason":"unknown exchange type \'x-delayed-message\'"}',
    );
    expect(error).toBeInstanceOf(BrokerError);
    expect(error.code).toBe(RABBITMQ_MANAGEMENT_ERROR_CODES.RabbitManagementError);
    expect(isZocaloError(error, 'ZOCALO_BROKER')).toBe(true);
    expect(error.reason).toBe("unknown exchange type 'x-delayed-message'");
    expect(error.message).toBe(
      'RabbitMQ management API: PUT /api/exchanges/v/delayed answered 400 ' +
        '{"error":"bad_request","reason":"unknown exchange type \'x-delayed-message\'"}',
    );
    expect(new RabbitManagementError('GET', '/api/x', 502, 'Bad Gateway').reason).toBeUndefined();
  });

  it('no answer is a ConnectionError naming the URL without its credentials', async () => {
    const management = new RabbitManagement({ url: 'http://someone:secret@127.0.0.1:1' });
    const error = await management.overview().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RabbitManagementUnreachableError);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(
      /^RabbitMQ management API at http:\/\/127\.0\.0\.1:1 did not answer \(/,
    );
    expect((error as Error).message).not.toContain('secret');
    await expect(RabbitManagement.firstAnswering('http://127.0.0.1:1, http://127.0.0.1:2')).rejects.toThrow(
      'RabbitMQ management API at http://127.0.0.1:2 did not answer',
    );
  });

  it('encodes every part of a path', () => {
    const management = new RabbitManagement({ vhost: 'a/b' });
    expect(management.path('queues', 'q 1')).toBe('/api/queues/a%2Fb/q%201');
    expect(management.pathIn('bindings', '/', 'e', '', 'q', 'x#y')).toBe('/api/bindings/%2F/e//q/x%23y');
  });
});
