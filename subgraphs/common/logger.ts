import pino, { type Logger } from 'pino';

export type { Logger };

/** One JSON log stream per process; `name` is the service (gateway, profiles, …). */
export function createLogger(name: string, level: string): Logger {
  return pino({ name, level });
}
