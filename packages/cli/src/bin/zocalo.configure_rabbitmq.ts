#!/usr/bin/env node
import { runPythonBin } from '../python/python-bin';

await runPythonBin('zocalo.configure_rabbitmq', import.meta.url);
