/**
 * Every deliberate error of the @zocalo packages has a code of its own (docs/errors.md): each
 * exported error class declares one, listed under its name in its package's table, and no two
 * classes of any package share one.
 */
import * as configuration from '@zocalo/configuration';
import * as dispatcher from '@zocalo/dispatcher';
import * as jsonlines from '@zocalo/jsonlines';
import * as mailer from '@zocalo/mailer';
import * as management from '@zocalo/rabbitmq-management';
import * as recipes from '@zocalo/recipes';
import * as schlockmeister from '@zocalo/schlockmeister';
import * as slurm from '@zocalo/slurm';
import * as tracing from '@zocalo/tracing';
import * as amqp from '@zocalo/transport-amqp';
import * as workflows from '@zocalo/workflows';
import * as wrapper from '@zocalo/wrapper';
import { ZocaloError } from '@zocalo/workflows';
import * as cli from '../src';

const PACKAGES: ReadonlyArray<[string, Record<string, unknown>, Readonly<Record<string, string>>]> = [
  ['@zocalo/workflows', workflows, workflows.ZOCALO_ERROR_CODES],
  ['@zocalo/recipes', recipes, recipes.RECIPE_ERROR_CODES],
  ['@zocalo/configuration', configuration, configuration.CONFIGURATION_ERROR_CODES],
  ['@zocalo/dispatcher', dispatcher, dispatcher.DISPATCHER_ERROR_CODES],
  ['@zocalo/cli', cli, cli.CLI_ERROR_CODES],
  ['@zocalo/rabbitmq-management', management, management.RABBITMQ_MANAGEMENT_ERROR_CODES],
  ['@zocalo/schlockmeister', schlockmeister, schlockmeister.SCHLOCKMEISTER_ERROR_CODES],
  ['@zocalo/mailer', mailer, mailer.MAILER_ERROR_CODES],
  ['@zocalo/jsonlines', jsonlines, jsonlines.JSONLINES_ERROR_CODES],
  ['@zocalo/tracing', tracing, tracing.TRACING_ERROR_CODES],
  ['@zocalo/transport-amqp', amqp, amqp.AMQP_ERROR_CODES],
  ['@zocalo/wrapper', wrapper, wrapper.WRAPPER_ERROR_CODES],
  ['@zocalo/slurm', slurm, slurm.SLURM_ERROR_CODES],
];

/** The error classes a package defines and exports (not those it re-exports from another package). */
function ownErrorClasses(exports: Record<string, unknown>): Array<[string, typeof ZocaloError]> {
  const others = new Set(PACKAGES.map(([, module]) => module).filter((module) => module !== exports));
  return Object.entries(exports).filter(
    (entry): entry is [string, typeof ZocaloError] =>
      typeof entry[1] === 'function' &&
      (entry[1] === ZocaloError || entry[1].prototype instanceof ZocaloError) &&
      ![...others].some((module) => module[entry[0]] === entry[1]),
  );
}

describe('error codes of every package', () => {
  it.each(PACKAGES)(
    '%s: each exported error class has its own code, in the package’s frozen table',
    (_name, exports, table) => {
      expect(Object.isFrozen(table)).toBe(true);
      const classes = ownErrorClasses(exports);
      expect(classes.length).toBeGreaterThan(0);
      for (const [name, errorClass] of classes) {
        expect([name, Object.prototype.hasOwnProperty.call(errorClass, 'code') && errorClass.code]).toEqual([
          name,
          table[name],
        ]);
      }
    },
  );

  it('no two classes share a code', () => {
    const codes = PACKAGES.flatMap(([, , table]) => Object.values(table));
    expect(codes.every((code) => /^ZOCALO_[A-Z_]+$/.test(code))).toBe(true);
    expect(codes.filter((code, index) => codes.indexOf(code) !== index)).toEqual([]);
  });
});
