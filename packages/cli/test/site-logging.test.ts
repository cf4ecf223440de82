/**
 * The `logging` block of a site configuration, as every command reads it (site.ts `siteLevel`, used by
 * `loadSite`): the level of the command's logger, `-v`/`-vv` climbing the block's `verbose:` steps as
 * python-zocalo's logging plugin does, debug for `-v` when the block has none, and an explicit level
 * winning over everything.
 */
import { loadConfiguration } from '@zocalo/configuration';
import { siteLevel } from '../src/site';

const SITE = `version: 1
logging:
  plugin: logging
  version: 1
  root:
    level: WARNING
  loggers:
    zocalo:
      level: WARNING
  verbose:
    - loggers:
        zocalo:
          level: INFO
    - loggers:
        zocalo.service:
          level: DEBUG
environments:
  default: [logging]
`;

const withSteps = loadConfiguration({ text: SITE, env: {} });
const without = loadConfiguration({ text: 'version: 1\nenvironments:\n  default: []\n', env: {} });

describe("the site's logging block", () => {
  it.each([
    [0, 'warn'],
    [1, 'info'],
    [2, 'debug'],
    [3, 'debug'],
  ])('verbosity %i gives zocalo.service the level %s', (verbosity, level) => {
    expect(siteLevel(withSteps, 'zocalo.service', verbosity, undefined, undefined)).toBe(level);
  });

  it("a step for zocalo.service does not touch another command's logger", () => {
    expect(siteLevel(withSteps, 'zocalo.go', 2, undefined, undefined)).toBe('info');
  });

  it('an explicit level wins; ZOCALO_LOG_LEVEL wins over the block without -v', () => {
    expect(siteLevel(withSteps, 'zocalo.service', 2, 'error', 'info')).toBe('error');
    expect(siteLevel(withSteps, 'zocalo.service', 0, undefined, 'info')).toBe('info');
  });

  it('-v without verbose steps is debug; without a block nothing is said (the command default applies)', () => {
    expect(siteLevel(without, 'zocalo.service', 1, undefined, undefined)).toBe('debug');
    expect(siteLevel(without, 'zocalo.service', 0, undefined, undefined)).toBeUndefined();
  });
});
