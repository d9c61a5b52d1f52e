#!/usr/bin/env node
// The quiver command line. Subcommands load their code lazily so `quiver --help` is instant.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { addBenchCommand } from '../bench/cli.mjs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const program = new Command('quiver')
  .description('quiverdb command line')
  .version(version, '-v, --version', 'print the quiverdb version')
  .showHelpAfterError();
addBenchCommand(program);
program.command('eval').description('retrieval quality on a BEIR dataset: nDCG@10, Recall@100, MRR@10 (see quiver eval --help)').helpOption(false).allowUnknownOption().allowExcessArguments().action(async (_options, command) => { process.exitCode = await (await import('../dist/index.js')).evalCommand(command.args); });
program.command('doctor').description('report a store directory and whether it opens, changing nothing (see quiver doctor --help)').helpOption(false).allowUnknownOption().allowExcessArguments().action(async (_options, command) => { process.exitCode = await (await import('../dist/index.js')).doctorCommand(command.args); });
program.command('repair').description('back up a damaged store, then salvage every intact record and write into a healthy store (see quiver repair --help)').helpOption(false).allowUnknownOption().allowExcessArguments().action(async (_options, command) => { process.exitCode = await (await import('../dist/index.js')).repairCommand(command.args); });
program.command('migrate').description('copy a store between a directory and PostgreSQL, resumable and verified (see quiver migrate --help)').helpOption(false).allowUnknownOption().allowExcessArguments().action(async (_options, command) => { process.exitCode = await (await import('../dist/pg.js')).migrateCommand(command.args); });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.stderr.write(`quiver: ${error?.message ?? error}\n`);
  process.exitCode = 1;
}
