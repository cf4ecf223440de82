/**
 * Where the JWT comes from. python-zocalo's `user_token` is the token itself or, when it names an existing
 * file, that file's contents; Slurm's own clients read `SLURM_JWT` (`scontrol token` prints
 * `SLURM_JWT=<token>`). Here, in this order: `userToken` as Python reads it, `tokenFile`, `SLURM_JWT`.
 * A file is read again at each request, so a token renewed in it is used without a restart.
 */
import { statSync } from 'node:fs';
import { readRegularFileAsync } from '@zocalo/workflows';
import { SlurmConfigError } from './errors';

/** Where the client finds its token. */
export interface SlurmTokenOptions {
  /** python-zocalo's `user_token`: the JWT, or the path of a file holding it. */
  readonly userToken?: string;
  /** A file holding the JWT (a line; `SLURM_JWT=` before it is allowed, as `scontrol token` prints it). */
  readonly tokenFile?: string;
  /** Where `SLURM_JWT` is read when neither is given. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The token, or where to read it, as decided once when the client is made. */
export type TokenSource =
  | { readonly kind: 'none' }
  | { readonly kind: 'value'; readonly token: string; readonly from: string }
  | { readonly kind: 'file'; readonly path: string; readonly from: string };

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `SLURM_JWT=abc` or `abc`, trimmed. */
export function tokenText(text: string): string {
  const line = text.trim();
  return line.startsWith('SLURM_JWT=') ? line.slice('SLURM_JWT='.length).trim() : line;
}

/** Decide where the token comes from (no request is made). */
export function tokenSource(options: SlurmTokenOptions): TokenSource {
  const { userToken, tokenFile } = options;
  if (userToken !== undefined && userToken !== '') {
    if (isFile(userToken)) return { kind: 'file', path: userToken, from: 'user_token' };
    // A JWT has no slash; a value with one is a file path that names no file (Python would send it).
    if (userToken.includes('/')) {
      throw new SlurmConfigError(
        `Slurm: user_token ${userToken} looks like a file path but names no file; write the token there ` +
          '(`scontrol token` prints one) or give the token itself',
      );
    }
    return { kind: 'value', token: tokenText(userToken), from: 'user_token' };
  }
  if (tokenFile !== undefined && tokenFile !== '')
    return { kind: 'file', path: tokenFile, from: 'tokenFile' };
  const fromEnv = (options.env ?? process.env).SLURM_JWT;
  if (fromEnv !== undefined && fromEnv !== '')
    return { kind: 'value', token: tokenText(fromEnv), from: 'SLURM_JWT' };
  return { kind: 'none' };
}

/** The token to send now, or undefined when there is none. */
export async function currentToken(source: TokenSource): Promise<string | undefined> {
  if (source.kind === 'none') return undefined;
  if (source.kind === 'value') return source.token;
  let text: string;
  try {
    text = await readRegularFileAsync(source.path);
  } catch (error) {
    throw new SlurmConfigError(
      `Slurm: cannot read the token file ${source.path} (${source.from}): ${error instanceof Error ? error.message : String(error)}; ` +
        'write a token there (`scontrol token`) or give another file',
      { cause: error },
    );
  }
  const token = tokenText(text);
  if (token === '') {
    throw new SlurmConfigError(
      `Slurm: the token file ${source.path} (${source.from}) is empty; write a token there (\`scontrol token\`)`,
    );
  }
  return token;
}
