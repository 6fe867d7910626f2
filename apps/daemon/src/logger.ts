import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { LogLevel } from './config/index.ts';

export type { Logger };

/** Paths that may carry the daemon API key or a bearer token anywhere in a log record. */
const REDACT = [
  'daemon_api_key',
  'api_key',
  'authorization',
  'key',
  '*.daemon_api_key',
  '*.api_key',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'headers.Authorization',
  'config.daemon_api_key',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { name: 'scanopy-daemon' },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that drops everything; handy for unit tests that do not assert on logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
