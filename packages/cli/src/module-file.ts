/**
 * Import a module file named on the command line (`zocalo service ./my-service.ts`). JavaScript is
 * imported as it is; TypeScript through tsx, an optional peer dependency looked for beside this
 * package and then in the working directory's project, so that a newcomer's `.ts` service runs without
 * a build step (Node 20 cannot import TypeScript by itself).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError, EXIT_USAGE } from './cli-error';

/** What tsx's `tsx/esm/api` offers, as much as is used here. */
interface TsxApi {
  tsImport(specifier: string, parentUrl: string): Promise<Record<string, unknown>>;
}

const TYPESCRIPT = /\.(?:[cm]?ts|tsx)$/;
// Computed, so that the bundler leaves it to be resolved where the package is installed.
const TSX_API = ['tsx', 'esm', 'api'].join('/');

async function loadTsx(cwd: string): Promise<TsxApi | undefined> {
  try {
    return (await import(TSX_API)) as TsxApi;
  } catch {
    try {
      const resolved = createRequire(join(cwd, 'package.json')).resolve(TSX_API);
      return (await import(pathToFileURL(resolved).href)) as TsxApi;
    } catch {
      return undefined;
    }
  }
}

/** Import `file` (absolute), a TypeScript file through tsx. */
export async function importModuleFile(file: string, cwd: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(file).href;
  if (!TYPESCRIPT.test(file)) return (await import(url)) as Record<string, unknown>;
  const tsx = await loadTsx(cwd);
  if (tsx === undefined) {
    throw new CliError(
      `${file} is TypeScript, which Node.js cannot import by itself: install tsx in the project ` +
        '(npm install --save-dev tsx) and run it again, or compile it to JavaScript first',
      EXIT_USAGE,
    );
  }
  return tsx.tsImport(url, url);
}
