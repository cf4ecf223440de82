import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.config.base';

// shims: `__dirname` in the ESM build too (the server finds public/ beside dist/).
export default defineConfig({ ...libraryBuild, shims: true });
