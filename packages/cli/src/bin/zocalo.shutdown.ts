#!/usr/bin/env node
import { runPythonBin } from '../python/python-bin';

await runPythonBin('zocalo.shutdown', import.meta.url);
