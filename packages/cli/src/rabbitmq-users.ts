/**
 * The users of `zocalo rabbitmq configure --user-config DIR`, as python-zocalo's `configure_rabbitmq`
 * reads them: every `*.ini` file under DIR (subfolders too, as Python's `Path.glob("**\/*.ini")`), each
 * with a `[rabbitmq]` section of `username`, `password` and, optionally, comma-separated `tags`. The INI
 * files are read as Python's `configparser` reads them (`@zocalo/workflows`' `parseIni`: `key = value`
 * or `key: value`, `#`/`;` comments, `[DEFAULT]`, `%(key)s` interpolation).
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { NotARegularFileError, parseIni, readRegularFile } from '@zocalo/workflows';
import { CliError, EXIT_USAGE } from './cli-error';
import type { UserSpec } from './rabbitmq-plan';

function fail(message: string): never {
  throw new CliError(message, EXIT_USAGE);
}

/** The `*.ini` files under `dir`, sorted; symbolic links to files count, those to folders are not followed. */
function iniFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ini')) found.push(path);
    }
  };
  walk(dir);
  return found.sort();
}

/**
 * Tags as the broker stores them: python-zocalo splits the text on commas; RabbitMQ also trims each and
 * drops empty ones, so compare and send them so (Python's `""` would be a tag `""` that never matches).
 */
export function parseTags(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((tag) => tag.trim())
        .filter((tag) => tag.length > 0),
    ),
  ];
}

/** One INI file's user; `file` names it in errors. */
export function parseUserFile(text: string, file: string): UserSpec {
  let section: Record<string, string> | undefined;
  try {
    section = parseIni(text).rabbitmq;
  } catch (error) {
    fail(`could not parse ${file}: ${(error as Error).message}`);
  }
  if (section === undefined) fail(`${file} has no [rabbitmq] section (python-zocalo's user files have one)`);
  const name = section.username;
  const password = section.password;
  if (!name) fail(`${file}: [rabbitmq] gives no username`);
  if (!password) fail(`${file}: [rabbitmq] gives no password`);
  return { name, password, tags: parseTags(section.tags ?? ''), file };
}

/**
 * Every user of the INI files under `dir`. A folder without any, a file Python could not read, or one
 * user declared in two files is a {@link CliError} (exit 2): python-zocalo would delete every user of
 * the broker for an empty folder.
 */
export function readUserConfig(dir: string): UserSpec[] {
  let files: string[];
  try {
    if (!statSync(dir).isDirectory()) fail(`--user-config ${dir} is not a folder`);
    files = iniFiles(dir);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    fail(
      `cannot read --user-config ${dir}: ${code === 'ENOENT' ? 'no such folder' : (error as Error).message}`,
    );
  }
  if (files.length === 0) fail(`--user-config ${dir} holds no *.ini files`);
  const users = new Map<string, UserSpec>();
  for (const path of files) {
    let text: string;
    try {
      text = readRegularFile(path);
    } catch (error) {
      fail(
        `cannot read ${path}: ${error instanceof NotARegularFileError ? error.description : (error as Error).message}`,
      );
    }
    const user = parseUserFile(text, path);
    const before = users.get(user.name);
    if (before) {
      fail(
        `${relative(dir, path) || path} declares user ${user.name}, who was previously declared in ` +
          `${relative(dir, before.file) || before.file}`,
      );
    }
    users.set(user.name, user);
  }
  return [...users.values()];
}
