import { RecordingLogger } from '../src';

describe('RecordingLogger', () => {
  it('records level, message and fields, with child bindings merged in and shared records', () => {
    const logger = new RecordingLogger({ echo: false });
    logger.info({ n: 1 }, 'one');
    const child = logger.child({ service: 'S' }).child({ host: 'h' });
    child.warn({ n: 2, host: 'override' }, 'two');
    child.error({});
    expect(logger.records).toEqual([
      { level: 'info', msg: 'one', fields: { n: 1 } },
      { level: 'warn', msg: 'two', fields: { service: 'S', host: 'override', n: 2 } },
      { level: 'error', msg: '', fields: { service: 'S', host: 'h' } },
    ]);
    expect(child.records).toBe(logger.records);
    expect(logger.at('warn')).toEqual([logger.records[1]]);
    expect(logger.messages('info')).toEqual(['one']);
    expect(logger.messages()).toEqual(['one', 'two', '']);
    expect(logger.find((record) => record.fields.n === 2)?.msg).toBe('two');
    expect(logger.find((record) => record.level === 'debug')).toBeUndefined();
    child.clear();
    expect(logger.records).toEqual([]);
  });

  it('records into a given array and echoes to stderr only when asked', () => {
    const records: RecordingLogger['records'] = [];
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      new RecordingLogger({ records, echo: false }).debug({ a: 1 }, 'quiet');
      expect(write).not.toHaveBeenCalled();
      new RecordingLogger({ records, echo: true }).child({ b: 2 }).debug({ err: new Error('boom') }, 'loud');
      expect(write).toHaveBeenCalledWith('[debug] loud {"b":2,"err":{"name":"Error","message":"boom"}}\n');
    } finally {
      write.mockRestore();
    }
    expect(records.map((record) => record.msg)).toEqual(['quiet', 'loud']);
  });

  it('echoes by default when ZOCALO_TEST_LOG is set', () => {
    const saved = process.env.ZOCALO_TEST_LOG;
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      process.env.ZOCALO_TEST_LOG = '1';
      new RecordingLogger().info({}, 'shown');
      delete process.env.ZOCALO_TEST_LOG;
      new RecordingLogger().info({}, 'hidden');
      expect(write.mock.calls).toEqual([['[info] shown\n']]);
    } finally {
      write.mockRestore();
      if (saved === undefined) delete process.env.ZOCALO_TEST_LOG;
      else process.env.ZOCALO_TEST_LOG = saved;
    }
  });
});
