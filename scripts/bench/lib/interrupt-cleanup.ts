// Cleanups that must run even when the benchmark is interrupted (Ctrl-C, SIGTERM): the stores a run made would
// otherwise stay behind. Pug processes need none of this: they die with the benchmark (setpriv --pdeathsig).

const pending = new Set<() => Promise<void>>();
let installed = false;

/** Runs `cleanup` if the process is interrupted before the returned function is called. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  if (!installed) {
    installed = true;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.on(signal, () => {
        console.error(`\n${signal}: removing this run's stores before exiting`);
        void Promise.allSettled([...pending].map((run) => run())).then((results) => {
          for (const result of results) if (result.status === "rejected") console.error(`cleanup failed: ${result.reason}`);
          process.exit(130);
        });
      });
    }
  }
  pending.add(cleanup);
  return () => pending.delete(cleanup);
}
