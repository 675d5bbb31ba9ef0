import pino, { type Logger } from 'pino';

import { serializeError } from './safe-error';

export type { Logger };

/**
 * Fields never written to a log, wherever they appear one level down: credentials, the signed
 * context, and customer data (payloads, traits, identities) that a log line may carry by accident.
 */
export const REDACTED_PATHS = [
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.headers["x-foresight-context"]',
  'params',
  '*.params',
  'parameters',
  '*.parameters',
  '*.traits',
  '*.properties',
  '*.email',
  '*.phone',
  '*.detail',
];

/**
 * One JSON log stream per process; `name` is the service (gateway, profiles, …). Errors go
 * through `serializeError` (no SQL with inlined values); `REDACTED_PATHS` are censored.
 */
export function createLogger(name: string, level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    serializers: { err: serializeError, error: serializeError },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
