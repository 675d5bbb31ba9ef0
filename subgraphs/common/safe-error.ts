/**
 * Error text that may leave the process (an API answer, a stored `model.error`, a job's failed
 * reason) or reach a log. A database driver error's message starts with the SQL it ran, values
 * inlined (event payloads, traits, emails): that part never goes out, only the driver's reason,
 * itself cut before any quoted value (`invalid input syntax for type uuid: "…"`).
 */
const SQL_START = /^\s*(insert|update|delete|select|with|create|alter|drop|begin|commit|rollback|savepoint|release|pragma)\b/i;

/** Longest reason kept from a driver error. */
const MAX_REASON = 200;

export function safeErrorMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (!SQL_START.test(message)) return message;
  // MikroORM (knex) formats a failed query as `<sql with values> - <reason>[ - detail: …]`; the
  // PostgreSQL detail repeats the offending values (`Key (hash)=(…) already exists`)
  const parts = message.split(' - ').slice(1).filter((p) => !/^(detail|hint|where):/i.test(p));
  let reason = parts.at(-1) ?? 'query failed';
  const quoted = reason.search(/:\s*["'(]/);
  if (quoted >= 0) reason = reason.slice(0, quoted);
  const code = (err as { code?: unknown }).code;
  return `database error${typeof code === 'string' ? ` ${code}` : ''}: ${reason.slice(0, MAX_REASON)}`;
}

/**
 * The pino serializer for `err`: type, code and a safe message, and the stack without its first
 * line (which repeats the message). Driver-specific fields that carry values (`detail`,
 * `parameters`, `where`) are left out.
 */
export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: safeErrorMessage(err) };
  const code = (err as { code?: unknown }).code;
  const message = safeErrorMessage(err);
  const frames = (err.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return { type: err.name, message, ...(code !== undefined && { code }), stack: [`${err.name}: ${message}`, ...frames].join('\n') };
}
