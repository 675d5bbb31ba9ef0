import type { Server } from 'node:http';

/**
 * Keeps idle keep-alive connections open longer than the clients that reuse them (SDKs, fetch,
 * the gateway's own connections to subgraphs, load balancers at their usual 60 s). With node's 5 s
 * default a server could close a connection just as a client sent on it, and the request died
 * with ECONNRESET / "socket hang up" under load. Node closes idle connections when the server stops.
 */
export function outlastClientKeepAlive(server: Server): void {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
}
