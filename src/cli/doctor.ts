import { type Command, parseFlags } from "./command.ts";

export const doctorCommand: Command = {
  name: "doctor",
  summary: "check every dependency, migration and setting; say how to fix what fails",
  usage: "pug doctor [--json] [--env-file FILE]",
  async run(args) {
    parseFlags(args, { json: { type: "boolean", default: false } });
    return 1;
  },
};
