import { createGuard, isLoopback, safeEqual } from '../src';
import { DashboardConfigurationError } from '../src';

test('loopback addresses need nothing; any other needs a token or a login', () => {
  for (const host of ['127.0.0.1', '127.9.9.9', 'localhost', '::1', '[::1]'])
    expect(isLoopback(host)).toBe(true);
  for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.org']) {
    expect(isLoopback(host)).toBe(false);
    expect(() => createGuard(host)).toThrow(DashboardConfigurationError);
  }
  expect(createGuard('127.0.0.1').allows({})).toBe(true);
  expect(() => createGuard('0.0.0.0', '  ')).toThrow(/token is empty/);
});

test('a token by query, bearer header or cookie; a basic-auth login; nothing else', () => {
  const guard = createGuard('0.0.0.0', 'tok', { username: 'ops', password: 'pw:with:colons' });
  expect(guard.required).toBe(true);
  expect(guard.allows({})).toBe(false);
  expect(guard.allows({ query: 'tok' })).toBe(true);
  expect(guard.allows({ query: 'tok2' })).toBe(false);
  expect(guard.allows({ authorization: 'Bearer tok' })).toBe(true);
  expect(guard.allows({ cookie: 'a=b; zocalo_dashboard=tok' })).toBe(true);
  expect(guard.allows({ cookie: 'zocalo_dashboard=nope' })).toBe(false);
  const basic = (login: string): string => `Basic ${Buffer.from(login).toString('base64')}`;
  expect(guard.allows({ authorization: basic('ops:pw:with:colons') })).toBe(true);
  expect(guard.allows({ authorization: basic('ops:pw') })).toBe(false);
  expect(guard.allows({ authorization: basic('root:pw:with:colons') })).toBe(false);
  // A token guard alone takes no login, a login guard alone no token.
  expect(createGuard('0.0.0.0', undefined, { username: 'u', password: 'p' }).allows({ query: 'p' })).toBe(
    false,
  );
  expect(createGuard('0.0.0.0', 'tok').allows({ authorization: basic('u:tok') })).toBe(false);
});

test('safeEqual compares whole strings of any length', () => {
  expect(safeEqual('abc', 'abc')).toBe(true);
  expect(safeEqual('abc', 'abd')).toBe(false);
  expect(safeEqual('abc', 'abcd')).toBe(false);
  expect(safeEqual('', '')).toBe(true);
});
