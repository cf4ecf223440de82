import { decodeBody, encodeBody, InvalidArgumentError, temporaryQueueName, uniqueHostId } from '../src';

describe('unique host id and temporary queue names', () => {
  it('reverses the host name parts and appends the pid', () => {
    expect(uniqueHostId('ws123.diamond.ac.uk', 4711)).toBe('uk.ac.diamond.ws123.4711');
    expect(uniqueHostId('localhost', 1)).toBe('localhost.1');
  });

  it('prefixes transient. once', () => {
    expect(temporaryQueueName('reply')).toMatch(/^transient\.reply\.[0-9a-f-]{36}$/);
    expect(temporaryQueueName('transient.x')).toMatch(/^transient\.x\.[0-9a-f-]{36}$/);
    expect(temporaryQueueName()).toMatch(new RegExp(`^transient\\..*\\.${process.pid}\\.[0-9a-f-]{36}$`));
  });
});

describe('body mangling', () => {
  it('parses JSON and falls back to the raw text', () => {
    expect(decodeBody('{"a":1}')).toEqual({ a: 1 });
    expect(decodeBody(Buffer.from('[1,2]'))).toEqual([1, 2]);
    expect(decodeBody('not json')).toBe('not json');
    expect(decodeBody('')).toBe('');
  });

  it('refuses values JSON cannot carry', () => {
    expect(() => encodeBody(() => 1)).toThrow(InvalidArgumentError);
    expect(() => encodeBody(Symbol('s'))).toThrow(InvalidArgumentError);
    expect(encodeBody({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it('does not let __proto__ in a body pollute objects', () => {
    const parsed = decodeBody('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(parsed, '__proto__')).toBe(true);
  });
});
