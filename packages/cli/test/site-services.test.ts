/**
 * The services a site runs besides the Dispatcher, as the `zocalo` command finds and starts them:
 * `zocalo service --list` (in this process, runCli) shows the Mailer and JSONLines, declared in their
 * packages' package.json as python-zocalo declares `workflows.services`; the built bin runs each by
 * name (a child process: jest cannot import the ES modules a service is loaded from), the Mailer with
 * its relay from the site configuration's `smtp` block, and refusing to start without one.
 * `site-services.broker.test.ts` runs JSONLines by name on both brokers.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../src';
import { runCli } from '../src';
import { captureIo, startZocalo, zocalo as zocaloBin } from './helpers';

const zocalo = (args: readonly string[], io: CliIo): Promise<number> =>
  runCli(['node', 'zocalo', ...args], io);

describe('zocalo service: the Mailer and JSONLines', () => {
  it('--list shows them, with the Dispatcher and Schlockmeister, by their python-zocalo names', async () => {
    const io = captureIo();
    expect(await zocalo(['service', '--list'], io)).toBe(0);
    const listed = io.out.join('');
    expect(listed).toMatch(/^JSONLines +@zocalo\/jsonlines$/m);
    expect(listed).toMatch(/^Mailer +@zocalo\/mailer$/m);
    // Sorted, python-zocalo's four among whatever else the workspace's packages contribute.
    const names = listed
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ')[0]);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['Dispatcher', 'JSONLines', 'Mailer', 'Schlockmeister']));
  });

  it('JSONLines: runs by name and ends 0 on SIGTERM', async () => {
    const service = startZocalo([
      'service',
      'JSONLines',
      '-t',
      'memory',
      '-s',
      'zocalo.jsonlines.queue=test.lines',
    ]);
    await service.waitFor(/"serviceclass":"JSONLines","msg":"service started"/);
    service.child.kill('SIGTERM');
    const finished = await service.exited;
    expect(finished.code).toBe(0);
    expect(finished.stderr).toContain('"service":"JSON Lines"');
  });

  it('Mailer: takes its relay from the smtp block of the site configuration', async () => {
    const site = join(mkdtempSync(join(tmpdir(), 'zocalo-cli-mailer-')), 'site.yaml');
    writeFileSync(
      site,
      'version: 1\nembedded:\n  plugin: memory\nrelay:\n  plugin: smtp\n  host: 127.0.0.1\n  port: 2525\n' +
        '  from: zocalo@example.com\nenvironments:\n  default: [embedded, relay]\n',
    );
    const service = startZocalo([
      'service',
      'Mailer',
      '--config',
      site,
      '-v',
      '-s',
      'zocalo.mailer.queue=test.mail',
    ]);
    await service.waitFor(/"msg":"service started"/);
    expect(service.output()).toMatch(
      /"queue":"test\.mail","host":"127\.0\.0\.1","port":2525,"msg":"Mail notifications starting"/,
    );
    service.child.kill('SIGTERM');
    expect((await service.exited).code).toBe(0);
  });

  it('Mailer: without an smtp block, refuses to start, saying what to add', async () => {
    const result = await zocaloBin(['service', 'Mailer', '-t', 'memory']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^zocalo service: cannot make the service from package @zocalo\/mailer: There are no SMTP settings configured in your environment: add a block with "plugin: smtp"/,
    );
  });
});
