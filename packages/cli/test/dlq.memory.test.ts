/**
 * `zocalo dlq check|purge|reinject` on the memory transport (#22): its broker keeps `DLQ.<queue>` as
 * the real ones do, so an application embedding the commands (or a test) can use them in-process.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageBody } from '@zocalo/workflows';
import { MemoryTransport, defaultMemoryBroker } from '@zocalo/workflows';
import { runCli } from '../src';
import { captureIo, tempDirectory, until } from './helpers';

async function zocalo(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await runCli(['node', 'zocalo', ...args, '-t', 'memory'], io);
  return { code, out: io.out.join(''), err: io.err.join('') };
}

describe('zocalo dlq on the memory transport', () => {
  const client = new MemoryTransport();
  beforeAll(() => client.connect());
  afterAll(() => client.disconnect());

  it('checks, purges to files and reinjects a rejected message', async () => {
    // A message the consumer rejects: the memory broker dead-letters it to DLQ.<queue>.
    const rejecting = await client.subscribe(
      'memdlq.work',
      async (header) => client.nack(header, { requeue: false }),
      { acknowledgement: true },
    );
    await client.send('memdlq.work', { job: 7 });
    await until(() => defaultMemoryBroker().stats('DLQ.memdlq.work').depth === 1);
    await client.unsubscribe(rejecting);

    const check = await zocalo(['dlq', 'check']);
    expect(check).toMatchObject({ code: 0 });
    expect(check.out).toContain('DLQ.memdlq.work  1\n');
    expect(check.out).toMatch(/1 message in 1 dead-letter queue/);
    expect((await zocalo(['dlq', 'check', 'memdlq.work', '--json'])).out).toBe(
      '[{"queue":"DLQ.memdlq.work","messages":1}]\n',
    );

    const dir = tempDirectory();
    const purge = await zocalo(['dlq', 'purge', 'memdlq.work', '--to', dir, '--wait', '0.3']);
    expect(purge.code).toBe(0);
    expect(purge.out).toContain('DLQ.memdlq.work: 1 message written');
    expect(defaultMemoryBroker().stats('DLQ.memdlq.work').depth).toBe(0);
    const [day] = readdirSync(dir);
    const [file] = readdirSync(join(dir, day));
    const saved = JSON.parse(readFileSync(join(dir, day, file), 'utf8')) as { message: MessageBody };
    expect(saved.message).toEqual({ job: 7 });

    const received: MessageBody[] = [];
    await client.subscribe('memdlq.work', (_header, message) => void received.push(message));
    const reinject = await zocalo(['dlq', 'reinject', join(dir, day, file)]);
    expect(reinject.code).toBe(0);
    // Sent within this process, so the warning that it dies with the process is given all the same.
    expect(reinject.err).toContain('warning: the memory transport lives in this process only');
    await until(() => received.length === 1);
    expect(received).toEqual([{ job: 7 }]);
  });
});
