import type { WebSocket } from 'ws';

/** graphql-ws close codes of our own (4400–4499 is the application's range). */
export const CLOSE_KEY_REVOKED = 4401;
export const CLOSE_TOO_MANY_CONNECTIONS = 4429;

/**
 * The open graphql-ws sockets of each API key on this gateway instance (by key hash): caps how
 * many one key may hold, and closes them all when the key is revoked, so a revoked key's
 * subscriptions stop within the time a revocation takes to be announced.
 */
export class KeySockets {
  private readonly byKey = new Map<string, Set<WebSocket>>();

  constructor(private readonly maxPerKey: number) {}

  /** Registers `socket` under `keyHash`, or returns false when the key already holds `maxPerKey`. */
  add(keyHash: string, socket: WebSocket): boolean {
    let sockets = this.byKey.get(keyHash);
    if (sockets?.has(socket)) return true;
    if (sockets && sockets.size >= this.maxPerKey) return false;
    if (!sockets) this.byKey.set(keyHash, (sockets = new Set()));
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      if (sockets.size === 0 && this.byKey.get(keyHash) === sockets) this.byKey.delete(keyHash);
    });
    return true;
  }

  /** Sockets open for `keyHash` now. */
  count(keyHash: string): number {
    return this.byKey.get(keyHash)?.size ?? 0;
  }

  /** Closes every socket of a revoked key; returns how many. */
  closeKey(keyHash: string): number {
    const sockets = this.byKey.get(keyHash);
    if (!sockets) return 0;
    const count = sockets.size;
    for (const socket of sockets) socket.close(CLOSE_KEY_REVOKED, 'API key revoked');
    return count;
  }
}
