/** Where the JWT comes from, and the settings a client refuses before any request. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlurmConfigError, SlurmRestApi } from '../src';
import { currentToken, tokenSource, tokenText } from '../src/token';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'zocalo-slurm-token-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the JWT', () => {
  it('user_token is the token itself, as in python-zocalo', async () => {
    const source = tokenSource({ userToken: 'eyJ.abc.def', env: { SLURM_JWT: 'from-env' } });
    expect(source).toEqual({ kind: 'value', token: 'eyJ.abc.def', from: 'user_token' });
    expect(await currentToken(source)).toBe('eyJ.abc.def');
  });

  it('user_token naming a file is read from it, again at each request (a renewed token is used)', async () => {
    const file = join(dir, 'slurm-user-token');
    writeFileSync(file, 'foobar\n');
    const source = tokenSource({ userToken: file });
    expect(source).toEqual({ kind: 'file', path: file, from: 'user_token' });
    expect(await currentToken(source)).toBe('foobar');
    writeFileSync(file, 'SLURM_JWT=renewed\n');
    expect(await currentToken(source)).toBe('renewed');
  });

  it('a user_token that looks like a path but names no file is refused, not sent as a token', () => {
    expect(() => tokenSource({ userToken: join(dir, 'missing') })).toThrow(SlurmConfigError);
    expect(() => tokenSource({ userToken: join(dir, 'missing') })).toThrow(
      /looks like a file path but names no file/,
    );
  });

  it('then tokenFile, then SLURM_JWT (with or without scontrol’s SLURM_JWT= prefix), else none', async () => {
    const file = join(dir, 'token-file');
    writeFileSync(file, 'from-file');
    expect(await currentToken(tokenSource({ tokenFile: file, env: { SLURM_JWT: 'env' } }))).toBe('from-file');
    expect(tokenSource({ env: { SLURM_JWT: 'abc' } })).toEqual({
      kind: 'value',
      token: 'abc',
      from: 'SLURM_JWT',
    });
    expect(await currentToken(tokenSource({ env: { SLURM_JWT: 'SLURM_JWT=xyz' } }))).toBe('xyz');
    expect(tokenSource({ env: {} })).toEqual({ kind: 'none' });
    expect(tokenText('  SLURM_JWT=t \n')).toBe('t');
  });

  it('a token file that is missing, empty or not a regular file is a SlurmConfigError naming it', async () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    await expect(currentToken(tokenSource({ tokenFile: empty }))).rejects.toThrow(
      `Slurm: the token file ${empty} (tokenFile) is empty`,
    );
    await expect(currentToken(tokenSource({ tokenFile: join(dir, 'nope') }))).rejects.toThrow(
      SlurmConfigError,
    );
    await expect(currentToken(tokenSource({ tokenFile: dir }))).rejects.toThrow(/not a regular file/);
  });
});

describe('SlurmRestApi settings', () => {
  it('python-zocalo’s keys (url, api_version, user, user_token), from settings or a configuration', () => {
    const api = SlurmRestApi.fromSettings({
      url: 'http://slurm.example.com:1234/',
      api_version: 'v0.0.40',
      user: 'foo',
      user_token: 'sometoken',
    });
    expect(api).toMatchObject({
      url: 'http://slurm.example.com:1234',
      apiVersion: 'v0.0.40',
      user: 'foo',
      tokenFrom: 'user_token',
    });
    expect(api.path('jobs')).toBe('/slurm/v0.0.40/jobs');
    const iris = SlurmRestApi.fromZocaloConfiguration(
      { plugins: { iris: { url: 'http://iris.example.com', api_version: 'v0.0.38' } } },
      'iris',
      { env: {} },
    );
    expect(iris).toMatchObject({
      url: 'http://iris.example.com',
      apiVersion: 'v0.0.38',
      user: undefined,
      tokenFrom: 'none',
    });
  });

  it('refuses a configuration without the block, a URL that is not one, and an unknown version', () => {
    expect(() => SlurmRestApi.fromZocaloConfiguration({ plugins: {} })).toThrow(
      'Slurm: the site configuration has no activated slurm block; add one (plugin: slurm, url, api_version) to an environment you activate',
    );
    expect(() => new SlurmRestApi({ url: 'slurm.example.com:6820' })).toThrow(/is not an http\(s\) URL/);
    expect(() => new SlurmRestApi({ url: 'http://x', apiVersion: 'v0.0.99' })).toThrow(SlurmConfigError);
    expect(new SlurmRestApi({ url: 'http://x', env: {} }).apiVersion).toBe('v0.0.44');
  });
});
