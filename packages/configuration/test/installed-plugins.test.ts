/**
 * Configuration plugins of installed packages (python-zocalo's `zocalo.configuration.plugins` entry
 * points): a block naming one is checked against its schema and activated through it.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RecordingLogger } from '@zocalo/workflows';
import { ConfigurationError, loadConfiguration } from '../src';

function scratchProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'zocalo-config-plugins-'));
  const files: Record<string, string | object> = {
    'package.json': { name: 'site', dependencies: { '@site/ispyb': '1.0.0', legacy: '1.0.0' } },
    'node_modules/@site/ispyb/package.json': {
      name: '@site/ispyb',
      main: './index.cjs',
      zocalo: {
        configurationPlugins: { ispyb: 'ispybPlugin', broken: './missing.cjs:plugin', odd: 'notAPlugin' },
      },
    },
    // Its activation result becomes configuration.plugins.ispyb; its schema checks the block.
    'node_modules/@site/ispyb/index.cjs': `
      exports.ispybPlugin = {
        schema: { type: 'object', required: ['plugin', 'url'], properties: { url: { type: 'string' } } },
        activate(block, state) {
          state.storage['ispyb.url'] = block.url;
          return { url: block.url, connected: false };
        },
      };
      exports.notAPlugin = 42;`,
    // Declared under the Python group name, as a class.
    'node_modules/legacy/package.json': {
      name: 'legacy',
      zocalo: { 'zocalo.configuration.plugins': { legacy: './plugin.cjs:Legacy' } },
    },
    'node_modules/legacy/plugin.cjs': `
      exports.Legacy = class Legacy { activate(block) { return { greeting: 'hello ' + block.who }; } };`,
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return root;
}

const logger = new RecordingLogger();

describe('configuration plugins of installed packages', () => {
  const root = scratchProject();

  it('activates a block through the plugin an installed package declares', () => {
    const configuration = loadConfiguration({
      text: [
        'version: 1',
        'ispyb:',
        '  plugin: ispyb',
        '  url: mysql://ispyb.example.com/ispyb',
        'hi:',
        '  plugin: legacy',
        '  who: world',
        'environments:',
        '  default: [ispyb, hi]',
      ].join('\n'),
      plugins: { cwd: root },
      logger,
    });
    expect(configuration.plugins.ispyb).toEqual({ url: 'mysql://ispyb.example.com/ispyb', connected: false });
    expect(configuration.plugins.legacy).toEqual({ greeting: 'hello world' });
    expect(configuration.storage['ispyb.url']).toBe('mysql://ispyb.example.com/ispyb');
    expect(configuration.warnings).toEqual([]);
  });

  it("checks a block against the installed plugin's schema", () => {
    expect(() =>
      loadConfiguration({ text: 'version: 1\nispyb:\n  plugin: ispyb\n', plugins: { cwd: root }, logger }),
    ).toThrow('"url" is required here');
  });

  it('names the package of a declared plugin that cannot be loaded, at the block', () => {
    const load = (plugin: string): unknown =>
      loadConfiguration({ text: `version: 1\nb:\n  plugin: ${plugin}\n`, plugins: { cwd: root }, logger });
    expect(() => load('broken')).toThrow(ConfigurationError);
    expect(() => load('broken')).toThrow(
      /^Zocalo configuration: 3:\d+: b\.plugin: block b names plugin 'broken': the configuration plugin "broken" of package @site\/ispyb .* cannot be loaded: requiring .*missing\.cjs failed/,
    );
    expect(() => load('odd')).toThrow(/of package @site\/ispyb .*its export is not a configuration plugin/);
  });

  it('keeps and warns about a block whose plugin no package provides, as Python does', () => {
    const configuration = loadConfiguration({
      text: 'version: 1\nx:\n  plugin: nowhere\n  a: 1\nenvironments:\n  default: [x]\n',
      plugins: { cwd: root },
      logger,
    });
    expect(configuration.plugins.nowhere).toEqual({ a: 1 });
    expect(configuration.warnings).toEqual([
      "Zocalo configuration plugin 'nowhere' missing: block x (<string>:2) is kept but does nothing",
    ]);
    // With the search turned off, an installed plugin is not looked for either.
    const off = loadConfiguration({
      text: 'version: 1\ni:\n  plugin: ispyb\nenvironments:\n  default: [i]\n',
      plugins: false,
      logger,
    });
    expect(off.warnings).toHaveLength(1);
  });
});
