import { fork, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { BENCH_ENV_VAR } from './bench-env';

/** A tiny request/response protocol over the fork IPC channel. */
interface CallMessage {
  id: number;
  method: string;
  arg?: unknown;
}
type ReplyMessage = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
type ChildMessage = ReplyMessage | { ready: true };

export type Handlers = Record<string, (arg: unknown) => unknown>;

/** CPU time (user + system) of a process, microseconds. */
export interface CpuSnapshot {
  user: number;
  system: number;
}

/** Event-loop delay of a process since the last reset, milliseconds. */
export interface LoopDelay {
  p99: number;
  max: number;
}

/**
 * Child side: answers the parent's calls with `handlers` (plus `cpu`, the event-loop delay and an
 * on-demand CPU profile), and exits when the parent goes away. `stop` must be among the handlers;
 * the process exits once it has answered.
 */
export function serveParent(handlers: Handlers & { stop(): Promise<void> }): void {
  if (!process.send) throw new Error('this file runs as a child of a benchmark in bench/');
  const send = (msg: ChildMessage) => process.send!(msg);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let profiler: Session | null = null;
  const all: Handlers = {
    ...handlers,
    cpu: () => process.cpuUsage(),
    // a V8 CPU profile of a chosen window only (not start-up), written as a .cpuprofile file
    startCpuProfile: async () => {
      if (profiler) throw new Error('a CPU profile is already running');
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    },
    stopCpuProfile: async (file) => {
      if (!profiler) throw new Error('no CPU profile is running');
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      profiler = null;
      writeFileSync(file as string, JSON.stringify(profile));
    },
    resetLoopDelay: () => void loop.reset(),
    loopDelay: (): LoopDelay => ({ p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 }),
  };
  process.on('message', (msg: CallMessage) => {
    void (async () => {
      try {
        const handler = all[msg.method];
        if (!handler) throw new Error(`unknown method ${msg.method}`);
        send({ id: msg.id, ok: true, result: await handler(msg.arg) });
        if (msg.method === 'stop') process.disconnect();
      } catch (err) {
        send({ id: msg.id, ok: false, error: (err as Error).stack ?? String(err) });
      }
    })();
  });
  // the parent died or is done with us: never linger
  process.on('disconnect', () => process.exit(0));
  send({ ready: true });
}

/** Parent side of one child process started from a compiled file next to this one. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly label: string,
    private readonly proc: ChildProcess,
  ) {
    proc.on('message', (msg: ChildMessage) => {
      if ('ready' in msg) return;
      const waiter = this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.ok) waiter.resolve(msg.result);
      else waiter.reject(new Error(`${label}: ${msg.error}`));
    });
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code) => {
        for (const w of this.pending.values()) w.reject(new Error(`${label} exited (code ${code})`));
        this.pending.clear();
        resolve(code);
      }),
    );
  }

  /** Forks `<this folder>/<file>.js` with the benchmark's environment and waits until it listens for calls. */
  static async start(file: string, label: string, envVars: Record<string, string>, execArgv: string[] = []): Promise<Child> {
    const proc = fork(join(__dirname, `${file}.js`), [], {
      // only what is asked for: inheriting the parent's flags would re-run an `node -e` script in every child
      execArgv,
      env: { ...process.env, [BENCH_ENV_VAR]: JSON.stringify(envVars) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const child = new Child(label, proc);
    await new Promise<void>((resolve, reject) => {
      const onMessage = (msg: ChildMessage) => {
        if ('ready' in msg) {
          proc.off('message', onMessage);
          resolve();
        }
      };
      proc.on('message', onMessage);
      proc.once('exit', (code) => reject(new Error(`${label} exited during start-up (code ${code})`)));
      proc.once('error', reject);
    });
    return child;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  call<T>(method: string, arg?: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.proc.send({ id, method, arg } satisfies CallMessage);
    });
  }

  cpu(): Promise<CpuSnapshot> {
    return this.call<CpuSnapshot>('cpu');
  }

  resetLoopDelay(): Promise<void> {
    return this.call<void>('resetLoopDelay');
  }

  loopDelay(): Promise<LoopDelay> {
    return this.call<LoopDelay>('loopDelay');
  }

  startCpuProfile(): Promise<void> {
    return this.call<void>('startCpuProfile');
  }

  /** Stops the profile started by `startCpuProfile` and writes it to `file` (.cpuprofile). */
  stopCpuProfile(file: string): Promise<void> {
    return this.call<void>('stopCpuProfile', file);
  }

  /** Asks the child to close everything and exit; kills it (by pid) if it has not exited in `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const timer = setTimeout(() => this.kill(), graceMs);
    try {
      await this.call('stop').catch(() => undefined);
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}
