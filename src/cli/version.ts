import { VERSION } from "../version.ts";
import { type Command, parseFlags } from "./command.ts";

export const versionCommand: Command = {
  name: "version",
  summary: "print the version",
  usage: "pug version",
  async run(args, globals) {
    parseFlags(args, {});
    globals.out(`pug ${VERSION} (bun ${Bun.version}, ${process.platform}-${process.arch})`);
    return 0;
  },
};
