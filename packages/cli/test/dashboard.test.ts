/**
 * `zocalo dashboard` (the built bin) on the memory transport: it refuses an address beyond loopback
 * without a token, serves the page and its API with one, and ends cleanly on SIGTERM.
 */
import { startZocalo, zocalo } from './helpers';

test('beyond loopback without a token it does not start (exit 2, says what to do)', async () => {
  const result = await zocalo(['dashboard', '-t', 'memory', '--host', '0.0.0.0', '--port', '0']);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(
    /^zocalo dashboard: the dashboard binds 0.0.0.0, beyond loopback: give it a token/,
  );
});

test('serves the page and the services API to the token, refuses others, ends on SIGTERM', async () => {
  const running = startZocalo(['dashboard', '-t', 'memory', '--port', '0'], {
    env: { ZOCALO_DASHBOARD_TOKEN: 'cli-token', ZOCALO_LOG_LEVEL: 'warn' },
  });
  try {
    await running.waitFor(/Zocalo dashboard on (http:\S+)\?token=<token>/);
    const url = /Zocalo dashboard on (http:\S+?)\?token/.exec(running.output())![1];
    expect((await fetch(url)).status).toBe(401);
    const page = await fetch(`${url}?token=cli-token`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Zocalo dashboard</title>');
    const services = await fetch(`${url}api/services`, { headers: { authorization: 'Bearer cli-token' } });
    expect(await services.json()).toEqual([]);
  } finally {
    running.child.kill('SIGTERM');
  }
  expect((await running.exited).code).toBe(0);
});
