#!/usr/bin/env node
/**
 * promtool, in miniature: `promtool check config [--agent] <file…>` checks configuration files and
 * the rule files they name, printing as upstream's promtool does (SUCCESS on stdout, FAILED on
 * stderr) and exiting 0 when everything is valid, 1 otherwise. `promtool query instant|range|
 * series|labels <server> …` queries a Prometheus server's HTTP API (promtool-query.ts).
 */
import { Command, CommanderError } from 'commander';
import { loadConfigFile } from '../src/config/index.js';
import { loadRuleFile, ruleFilesOf } from '../src/rules/index.js';
import { runQuery } from './promtool-query.js';

/** Checks one config file and its rule files; returns whether all of it was valid. */
function checkConfig(file: string, agentMode: boolean): boolean {
  console.log(`Checking ${file}`);
  let ruleFiles: string[];
  try {
    const cfg = loadConfigFile(file, { agentMode });
    ruleFiles = ruleFilesOf(cfg.ruleFiles);
  } catch (err) {
    console.error(`  FAILED: ${(err as Error).message}`);
    console.log();
    return false;
  }
  if (ruleFiles.length > 0) console.log(`  SUCCESS: ${ruleFiles.length} rule files found`);
  console.log(` SUCCESS: ${file} is valid prometheus config file syntax`);
  console.log();
  let ok = true;
  for (const ruleFile of ruleFiles) {
    console.log(`Checking ${ruleFile}`);
    try {
      const groups = loadRuleFile(ruleFile);
      console.log(`  SUCCESS: ${groups.reduce((n, g) => n + g.rules.length, 0)} rules found`);
    } catch (err) {
      console.error('  FAILED:');
      console.error(`    ${(err as Error).message}`);
      ok = false;
    }
    console.log();
  }
  return ok;
}

function main(): number {
  let exitCode = 0;
  const program = new Command('promtool')
    .description('Tooling for the Prometheus monitoring system (miniprom).')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  program
    .command('check')
    .description('Check the resources for validity.')
    .command('config')
    .description('Check if the config files are valid or not.')
    .option('--agent', 'Check config file for Prometheus in Agent mode.', false)
    .argument('<config-files...>', 'The config files to check.')
    .action((files: string[], opts: { agent: boolean }) => {
      for (const file of files) if (!checkConfig(file, opts.agent)) exitCode = 1;
    });
  try {
    program.parse(process.argv);
  } catch (err) {
    // Usage errors exit 2 like kingpin's; --help exits 0.
    return err instanceof CommanderError && err.exitCode === 0 ? 0 : 2;
  }
  return exitCode;
}

const args = process.argv.slice(2);
process.exitCode = args[0] === 'query' ? await runQuery(args.slice(1)) : main();
