import { completeHost, isModulePath, parseParameters } from '../src';

describe('command-line values', () => {
  it('reads KEY=VALUE as python-zocalo does, and KEY:=JSON', () => {
    expect(parseParameters(['a=1', 'b=x=y', 'c:=[1,2]', 'd:={"e":null}', 'a=2'])).toEqual({
      a: '2',
      b: 'x=y',
      c: [1, 2],
      d: { e: null },
    });
    expect(() => parseParameters(['=x'])).toThrow("Invalid variable specification '=x'");
  });

  it('completes hostname.pid with the domain of this machine, as zocalo.shutdown does', () => {
    expect(completeHost('ws123.4711', 'ws001.diamond.ac.uk')).toBe('uk.ac.diamond.ws123.4711');
    expect(completeHost('uk.ac.diamond.ws123.4711', 'ws001.diamond.ac.uk')).toBe('uk.ac.diamond.ws123.4711');
    expect(completeHost('ws123.4711', 'ws001')).toBe('ws123.4711');
  });

  it('tells module paths from service names', () => {
    expect(['./x.js', '../x', '/abs/x.mjs', 'x.ts#A'].map(isModulePath)).toEqual([true, true, true, true]);
    expect(['Dispatcher', 'dlstbx.services'].map(isModulePath)).toEqual([false, false]);
  });
});
