import * as workflows from '../src';
import {
  ConnectionError,
  OutputLimitError,
  PERMANENT_ERROR_CODE,
  PermanentError,
  SendBacklogFullError,
  ZOCALO_ERROR_CODES,
  ZocaloError,
  isPermanentError,
  isZocaloError,
} from '../src';

/** Every class the package exports that is a ZocaloError (ZocaloError included). */
function errorClasses(): Array<[string, typeof ZocaloError]> {
  return Object.entries(workflows).filter(
    (entry): entry is [string, typeof ZocaloError] =>
      typeof entry[1] === 'function' &&
      (entry[1] === ZocaloError || entry[1].prototype instanceof ZocaloError),
  );
}

describe('error codes', () => {
  it('gives every exported error class its own code, listed under its name in a frozen table', () => {
    const classes = errorClasses();
    expect(classes.map(([name]) => name).sort()).toEqual(Object.keys(ZOCALO_ERROR_CODES).sort());
    for (const [name, errorClass] of classes) {
      expect([name, Object.prototype.hasOwnProperty.call(errorClass, 'code')]).toEqual([name, true]);
      expect(errorClass.code).toBe(ZOCALO_ERROR_CODES[name as keyof typeof ZOCALO_ERROR_CODES]);
    }
    const codes = Object.values(ZOCALO_ERROR_CODES);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes.every((code) => /^ZOCALO_[A-Z_]+$/.test(code))).toBe(true);
    expect(Object.isFrozen(ZOCALO_ERROR_CODES)).toBe(true);
    expect(PERMANENT_ERROR_CODE).toBe('ZOCALO_PERMANENT');
  });

  it('puts the code on each error, where logs and JSON show it, and keeps name and message', () => {
    const error = new SendBacklogFullError('the connection', 2, 2048);
    expect(error.code).toBe('ZOCALO_SEND_BACKLOG_FULL');
    expect(error.name).toBe('SendBacklogFullError');
    expect(Object.keys(error)).toContain('code');
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ code: 'ZOCALO_SEND_BACKLOG_FULL' });
    // The code chain that other copies read is there, but kept out of logs.
    expect(Object.getOwnPropertyDescriptor(error, Symbol.for('@zocalo/error'))).toMatchObject({
      value: ['ZOCALO_SEND_BACKLOG_FULL', 'ZOCALO_CONNECTION', 'ZOCALO_ERROR'],
      enumerable: false,
    });
  });

  it('recognises a class and its subclasses by code, never by name', () => {
    const backlog = new SendBacklogFullError('the connection', 2, 2048);
    expect(isZocaloError(backlog)).toBe(true);
    expect(isZocaloError(backlog, ZOCALO_ERROR_CODES.ConnectionError)).toBe(true);
    expect(isZocaloError(backlog, ZOCALO_ERROR_CODES.ZocaloError)).toBe(true);
    expect(isZocaloError(backlog, ZOCALO_ERROR_CODES.DisconnectedError)).toBe(false);
    expect(isZocaloError(new ConnectionError('down'), ZOCALO_ERROR_CODES.SendBacklogFullError)).toBe(false);
    const named = Object.assign(new Error('looks like one'), {
      name: 'ConnectionError',
      code: 'ZOCALO_CONNECTION',
    });
    expect(isZocaloError(named)).toBe(false);
    expect(named instanceof ConnectionError).toBe(false);
    expect(isZocaloError('ZOCALO_CONNECTION')).toBe(false);
    expect(isZocaloError(null)).toBe(false);
  });

  it('lets a subclass without a code of its own carry its parent’s and stay permanent', () => {
    class CorruptFrame extends PermanentError {}
    const error = new CorruptFrame('frame 7 is corrupt');
    expect(error.code).toBe(PERMANENT_ERROR_CODE);
    expect(error).toBeInstanceOf(PermanentError);
    expect(new PermanentError('x')).not.toBeInstanceOf(CorruptFrame);
    expect(isPermanentError(error)).toBe(true);
    const limit = new OutputLimitError('outputs', 1, 'maxOutputsPerMessage', 2);
    expect(limit.code).toBe('ZOCALO_OUTPUT_LIMIT');
    expect(isZocaloError(limit, PERMANENT_ERROR_CODE)).toBe(true);
    expect(isPermanentError(limit)).toBe(true);
  });
});
