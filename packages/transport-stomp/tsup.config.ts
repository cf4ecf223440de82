import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.config.base';

// The descriptor is an entry of its own: knowing the transport must not load its client.
export default defineConfig({ ...libraryBuild, entry: ['src/index.ts', 'src/descriptor.ts'] });
