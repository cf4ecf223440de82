#!/usr/bin/env node
import { runPythonBin } from '../python/python-bin';

await runPythonBin('zocalo.service', import.meta.url);
