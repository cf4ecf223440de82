// Shared jest settings: tests run the TypeScript sources directly. Workspace packages
// resolve to their src/ through the "@zocalo/source" export condition, so no build is needed.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testEnvironmentOptions: {
    customExportConditions: ['@zocalo/source', 'node', 'require', 'default'],
  },
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: {
          module: 'commonjs',
          moduleResolution: 'node10',
          customConditions: null,
          isolatedModules: true,
        },
      },
    ],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
};
