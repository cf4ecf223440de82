import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.config.base';

export default defineConfig(libraryBuild);
