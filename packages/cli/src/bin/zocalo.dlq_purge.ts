#!/usr/bin/env node
import { runPythonBin } from '../python/python-bin';

await runPythonBin('zocalo.dlq_purge', import.meta.url);
