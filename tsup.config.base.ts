import type { Options } from 'tsup';

/**
 * How every published package builds: ESM + CJS + type declarations from src/index.ts. The
 * declaration build resolves workspace packages through their built types, not the
 * "@zocalo/source" condition, so each package's .d.ts imports its dependencies instead of inlining them.
 */
export const libraryBuild: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { customConditions: [] } },
  sourcemap: true,
  clean: true,
  target: 'node20',
};
