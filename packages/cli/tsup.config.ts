import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library and the executable in one ESM build, so that they share chunks. Commands are
    // loaded on demand (`program.ts`), each into a chunk of its own. The executable awaits at the top
    // level, so it is ESM only; tsup keeps its #! line and makes it executable.
    entry: ['src/index.ts', 'src/bin.ts', 'src/bin/zocalo.*.ts'],
    format: ['esm'],
    dts: { entry: 'src/index.ts', compilerOptions: { customConditions: [] } },
    sourcemap: true,
    clean: true,
    target: 'node20',
  },
  {
    entry: ['src/index.ts'],
    format: ['cjs'],
    dts: { compilerOptions: { customConditions: [] } },
    sourcemap: true,
    target: 'node20',
  },
]);
