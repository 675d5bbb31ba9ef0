// The start and end every end-to-end benchmark shares: Ctrl-C and failures tear down what is
// running (child processes, throwaway databases, Redis keys) before the process exits.
import { say } from './report';

/** Tears down something a benchmark started; registered while it runs. */
export type Cleanup = () => Promise<void>;

/**
 * Runs `main` and exits: 0 when it resolves; 1 when it throws (after running `cleanups`); 130 on
 * SIGINT/SIGTERM (after running `cleanups`). `cleanups` is read when the end comes, so a benchmark
 * pushes and pops its teardowns as stacks come and go.
 */
export function runBench(name: string, cleanups: Cleanup[], main: () => Promise<void>): void {
  const cleanUp = () => Promise.all(cleanups.map((c) => c().catch(() => undefined)));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: cleaning up before exiting…`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`${name} failed: ${(err as Error).stack ?? String(err)}`);
      void cleanUp().finally(() => process.exit(1));
    },
  );
}
