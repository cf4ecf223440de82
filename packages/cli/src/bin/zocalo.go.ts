#!/usr/bin/env node
import { runPythonBin } from '../python/python-bin';

await runPythonBin('zocalo.go', import.meta.url);
