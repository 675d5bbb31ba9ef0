/**
 * Error codes a client can act on; `serve-subgraph.ts` maps them to `extensions.code`.
 * `RATE_LIMITED` and `UNAVAILABLE` (a dependency such as Redis is down: retry) carry
 * `retryAfterSeconds` in their details.
 */
export type AppErrorCode = 'NOT_FOUND' | 'BAD_USER_INPUT' | 'FORBIDDEN' | 'CONFLICT' | 'UNAUTHENTICATED' | 'RATE_LIMITED' | 'UNAVAILABLE';

/** A failure the caller caused or can fix. Every other error is masked as INTERNAL_SERVER_ERROR. */
export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}
