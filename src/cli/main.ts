#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { withCommonOptions } from './common_args';
import { doctorCommand } from './commands/doctor';
import { encodeCommand } from './commands/encode';
import { cacheTeacherCommand } from './commands/cache_teacher';
import { trainCommand } from './commands/train';
import { exportCommand } from './commands/export';
import { evalCommand } from './commands/eval';
import { benchCommand } from './commands/bench';
import { sweepCommand } from './commands/sweep';
import { sweepVariantCommand } from './commands/sweep_variant';

/** The CLI is a thin layer: each command parses flags and calls the library. */
export function buildParser(argv: string[]) {
  return withCommonOptions(yargs(argv))
    .scriptName('distill')
    .command(doctorCommand)
    .command(encodeCommand)
    .command(cacheTeacherCommand)
    .command(trainCommand)
    .command(exportCommand)
    .command(evalCommand)
    .command(benchCommand)
    .command(sweepCommand)
    .command(sweepVariantCommand)
    .demandCommand(1, 'give a command; see --help')
    .strict()
    .help();
}

if (require.main === module) {
  void buildParser(hideBin(process.argv)).parseAsync();
}
