import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';

/** The one line printed when Redis is needed, absent, and cannot be started here. */
export const NO_REDIS_SERVER =
  'Redis is not running on 127.0.0.1:6379 and there is no redis-server on PATH: install it (e.g. `apt install redis-server` or `brew install redis`), or run `docker compose up redis`, or set REDIS_URL.';

/** Thrown when Redis is neither configured, nor listening, nor installed. */
export class RedisUnavailableError extends Error {
  constructor() {
    super(NO_REDIS_SERVER);
  }
}

export interface LocalRedis {
  /** The URL to put in REDIS_URL. */
  url: string;
  /** True when this process started redis-server (and `stop` ends it). */
  embedded: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedRedisOptions {
  /** Where redis-server keeps its files (`<dataDir>/redis`). */
  dataDir: string;
  /** PATH to look for redis-server on. Default process.env.PATH. */
  path?: string;
  /** Port to try first; a free one is taken when it is busy. Default 6379. */
  port?: number;
  /** Longest wait for the started server to answer PING, in ms. Default 10000. */
  startTimeoutMs?: number;
}

/**
 * Redis for `npm start` and `npm run demo` with nothing set up: `REDIS_URL` when set; otherwise a
 * Redis already answering on 127.0.0.1:6379; otherwise `redis-server` from PATH started as a child
 * with its files under `<dataDir>/redis` (port 6379 or, if taken, a free one), stopped by `stop()`
 * and when this process exits. Throws {@link RedisUnavailableError} when none of these works.
 */
export async function ensureLocalRedis(env: NodeJS.ProcessEnv, opts: EmbeddedRedisOptions): Promise<LocalRedis> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, embedded: false, stop: () => Promise.resolve() };
  if (await answersPing(6379)) return { url: 'redis://127.0.0.1:6379', embedded: false, stop: () => Promise.resolve() };
  return startRedisServer(opts);
}

/** Starts `redis-server` from PATH as a child process and waits until it answers PING. */
export async function startRedisServer(opts: EmbeddedRedisOptions): Promise<LocalRedis> {
  const binary = findOnPath('redis-server', opts.path ?? process.env.PATH ?? '');
  if (!binary) throw new RedisUnavailableError();
  const dir = join(opts.dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = (await isFree(opts.port ?? 6379)) ? (opts.port ?? 6379) : await freePort();
  // no snapshots: queues can be rebuilt from SQL, and a save on exit would slow every stop
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  while (!(await answersPing(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}: ${stderr.trim() || `exit code ${child.exitCode}`}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, embedded: true, stop: () => stopChild(child, killOnExit) };
}

async function stopChild(child: ChildProcess, killOnExit: () => void): Promise<void> {
  process.removeListener('exit', killOnExit);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** The full path of an executable named `name` in a PATH string, or null. */
export function findOnPath(name: string, path: string): string | null {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return null;
}

/** True when something on 127.0.0.1:`port` answers a Redis PING with PONG within a second. */
export function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
