#!/usr/bin/env bun
import { main } from "./cli/main.ts";

process.exitCode = await main(process.argv.slice(2));
// Long-running commands return after shutting down; anything still holding the event loop must not keep the
// process alive past that.
process.exit();
