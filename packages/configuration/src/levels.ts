/**
 * Log levels in the three vocabularies Zocalo meets: pino's (trace … fatal), Python's logging names
 * and numbers (DEBUG 10 … CRITICAL 50, as a python-zocalo `logging` block writes them), and the syslog
 * severities Graylog shows (python-zocalo's graylog handlers send DEBUG 7, INFO 6, WARNING 4,
 * ERROR 3, CRITICAL 2).
 */

export type PinoLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

const PINO_LEVELS: readonly PinoLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

const PYTHON_NAMES: Readonly<Record<string, PinoLevel>> = {
  NOTSET: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  NOTICE: 'info',
  WARN: 'warn',
  WARNING: 'warn',
  ERROR: 'error',
  CRITICAL: 'fatal',
  FATAL: 'fatal',
};

/**
 * A level as pino names it, from a pino name, a Python name (`WARNING`) or a Python number (30).
 * Returns undefined for anything else.
 */
export function toPinoLevel(level: unknown): PinoLevel | undefined {
  if (typeof level === 'number' || (typeof level === 'string' && /^\d+$/.test(level.trim()))) {
    const value = Number(level);
    if (value <= 0) return 'trace';
    if (value < 20) return 'debug';
    if (value < 30) return 'info';
    if (value < 40) return 'warn';
    if (value < 50) return 'error';
    return 'fatal';
  }
  if (typeof level !== 'string') return undefined;
  const name = level.trim();
  if ((PINO_LEVELS as readonly string[]).includes(name.toLowerCase())) return name.toLowerCase() as PinoLevel;
  return PYTHON_NAMES[name.toUpperCase()];
}

/** Syslog severity of a pino level number, as python-zocalo's patched graypy reports it. */
export function syslogLevel(pinoLevel: number): number {
  if (pinoLevel < 30) return 7; // trace, debug → DEBUG
  if (pinoLevel < 40) return 6; // info → INFO
  if (pinoLevel < 50) return 4; // warn → WARNING
  if (pinoLevel < 60) return 3; // error → ERROR
  return 2; // fatal → CRITICAL
}

/** Python's name for a pino level number (graypy's `level_name` field). */
export function pythonLevelName(pinoLevel: number): string {
  if (pinoLevel < 30) return 'DEBUG';
  if (pinoLevel < 40) return 'INFO';
  if (pinoLevel < 50) return 'WARNING';
  if (pinoLevel < 60) return 'ERROR';
  return 'CRITICAL';
}
