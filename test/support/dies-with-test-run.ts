/**
 * A run that ends before a test's own stop() (a crash, a failed beforeAll, an unhandled rejection) must not leave
 * processes behind, and `bun test` runs no exit handlers: so the kernel kills a child when the test process dies
 * (util-linux setpriv, which then execs the command in place, keeping its pid).
 */
export const diesWithTestRun: string[] = Bun.which("setpriv") ? ["setpriv", "--pdeathsig", "KILL"] : [];
