#!/usr/bin/env node
/**
 * promtool, in miniature: `promtool check config [--agent] <file…>` checks configuration files and
 * the rule files they name; `promtool check rules [file…]` checks rule files (standard input
 * without any); `promtool check web-config <file…>` checks web config files as the server's
 * `--web.config.file` reads them (src/web's parser); `promtool test rules <file…>` runs rule unit tests (promtool-rules.ts); `promtool
 * query instant|range|series|labels <server> …` queries a Prometheus server's HTTP API
 * (promtool-query.ts). Output and exit codes are upstream's: SUCCESS on stdout, FAILED on stderr,
 * 0 when everything is valid, 1 otherwise, 3 for lint findings with --lint-fatal.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { loadConfigFile } from '../src/config/index.js';
import { ruleFilesOf } from '../src/rules/index.js';
import { validateWebConfig } from '../src/web/index.js';
import { versionText } from './flags.js';
import { checkMetrics } from './promtool-metrics.js';
import { runQuery } from './promtool-query.js';
import { checkRuleFiles, checkRules, lintSettings, testRules } from './promtool-rules.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** All of standard input, as `promtool check metrics` reads it. */
async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const LINT_HELP =
  'Linting checks to apply. Available options are: all, duplicate-rules, none. Use --lint=none to disable linting';

/**
 * A rule file pattern as upstream names it: joined to the config file's directory as given (Go's
 * filepath.Join(filepath.Dir(file), pattern)), where miniprom's loader made it absolute.
 */
function asGiven(configFile: string, pattern: string): string {
  const dir = dirname(resolve(configFile));
  if (isAbsolute(configFile) || !pattern.startsWith(`${dir}${sep}`)) return pattern;
  return join(dirname(configFile), pattern.slice(dir.length + 1));
}

/** checkConfig: the config's rule files (globs expanded; a file named without wildcards must exist). */
function checkConfig(file: string, agentMode: boolean): string[] | Error {
  try {
    const cfg = loadConfigFile(file, { agentMode });
    const files: string[] = [];
    for (const pattern of cfg.ruleFiles.map((p) => asGiven(file, p))) {
      const matched = ruleFilesOf([pattern]).filter((f) => existsSync(f));
      if (!pattern.includes('*') && matched.length === 0)
        return new Error(`${JSON.stringify(pattern)} does not point to an existing file`);
      files.push(...matched);
    }
    return files;
  } catch (err) {
    return err as Error;
  }
}

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  let action: Promise<number> | undefined;
  const program = new Command('promtool')
    .description('Tooling for the Prometheus monitoring system (miniprom).')
    .version(versionText('promtool (miniprom)', VERSION), '--version', 'Show application version.')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });
  const check = program
    .command('check')
    .description('Check the resources for validity.')
    // kingpin's flag of `check`, so `check --extended metrics` works as `check metrics --extended`.
    .option('--extended', 'Print extended information related to the cardinality of the metrics.', false);
  check
    .command('config')
    .description('Check if the config files are valid or not.')
    .option('--agent', 'Check config file for Prometheus in Agent mode.', false)
    .option('--lint <options>', `${LINT_HELP}`, 'duplicate-rules')
    .option('--lint-fatal', 'Make lint errors exit with exit code 3.', false)
    .argument('<config-files...>', 'The config files to check.')
    .action((files: string[], opts: { agent: boolean; lint: string; lintFatal: boolean }) => {
      const ls = lintSettings(opts.lint, opts.lintFatal, false);
      let failed = false;
      let hasErrors = false;
      for (const file of files) {
        console.log(`Checking ${file}`);
        const ruleFiles = checkConfig(file, opts.agent);
        if (ruleFiles instanceof Error) {
          console.error(`  FAILED: ${ruleFiles.message}`);
          failed = true;
          hasErrors = true;
          console.log();
          continue;
        }
        if (ruleFiles.length > 0) console.log(`  SUCCESS: ${ruleFiles.length} rule files found`);
        console.log(` SUCCESS: ${file} is valid prometheus config file syntax`);
        console.log();
        const r = checkRuleFiles(ruleFiles, ls);
        failed ||= r.failed;
        hasErrors ||= r.hasErrors;
      }
      exitCode = failed && hasErrors ? 1 : failed && ls.fatal ? 3 : 0;
    });
  check
    .command('web-config')
    .description('Check if the web config files are valid or not.')
    .argument('<web-config-files...>', 'The config files to check.')
    .action((files: string[]) => {
      // CheckWebConfig: every file checked as the server would (exporter-toolkit's Validate).
      action = (async () => {
        let failed = false;
        for (const file of files) {
          try {
            await validateWebConfig(file);
            process.stderr.write(`${file} SUCCESS\n`);
          } catch (err) {
            process.stderr.write(`${file} FAILED: ${(err as Error).message}\n`);
            failed = true;
          }
        }
        return failed ? 1 : 0;
      })();
    });
  check
    .command('rules')
    .description('Check if the rule files are valid or not.')
    .option('--lint <options>', LINT_HELP, 'duplicate-rules')
    .option('--lint-fatal', 'Make lint errors exit with exit code 3.', false)
    .option('--ignore-unknown-fields', 'Ignore unknown fields in the rule files.', false)
    .argument('[rule-files...]', 'The rule files to check, default is read from standard input.')
    .action((files: string[], opts: { lint: string; lintFatal: boolean; ignoreUnknownFields: boolean }) => {
      exitCode = checkRules(files, lintSettings(opts.lint, opts.lintFatal, opts.ignoreUnknownFields));
    });
  check
    .command('metrics')
    .description(
      'Pass Prometheus metrics over stdin to lint them for consistency and correctness.\n\nexamples:\n\n$ cat metrics.prom | promtool check metrics\n\n$ curl -s http://localhost:9090/metrics | promtool check metrics',
    )
    .option('--extended', 'Print extended information related to the cardinality of the metrics.', false)
    .action((opts: { extended: boolean }) => {
      const extended = opts.extended || check.opts().extended === true;
      action = readStdin().then((input) =>
        checkMetrics(
          input,
          extended,
          (text) => process.stdout.write(text),
          (text) => process.stderr.write(text),
        ),
      );
    });
  program
    .command('test')
    .description('Unit testing.')
    .addOption(new Option('--junit <file>', 'File path to store JUnit XML test results.'))
    .command('rules')
    .description('Unit tests for rules.')
    .option(
      '--run <regex>',
      'If set, will only run test groups whose names match the regular expression. Can be specified multiple times.',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--debug', 'Enable unit test debugging.', false)
    .option('--diff', '[Experimental] Print colored differential output between expected & received output.', false)
    .option('--ignore-unknown-fields', 'Ignore unknown fields in the test files.', false)
    .option('--junit <file>', 'File path to store JUnit XML test results.')
    .argument('<test-rule-file...>', 'The unit test file.')
    .action(
      (
        files: string[],
        opts: { run: string[]; debug: boolean; diff: boolean; ignoreUnknownFields: boolean; junit?: string },
        cmd: Command,
      ) => {
        action = testRules(files, { ...opts, junit: opts.junit ?? (cmd.parent?.opts().junit as string | undefined) });
      },
    );
  // kingpin's ExistingFiles(): a named file must exist before anything runs.
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (['--run', '--junit', '--lint'].includes(a))
      i++; // the flag's value
    else if (!a.startsWith('-')) positional.push(a);
  }
  if (
    (positional[0] === 'check' && (positional[1] === 'rules' || positional[1] === 'web-config')) ||
    (positional[0] === 'test' && positional[1] === 'rules')
  ) {
    const missing = positional.slice(2).find((f) => !existsSync(f));
    if (missing !== undefined) {
      process.stderr.write(`promtool: error: path '${missing}' does not exist, try --help\n`);
      return 1;
    }
  }
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    // Usage errors exit 2 like kingpin's; --help exits 0.
    return err instanceof CommanderError && err.exitCode === 0 ? 0 : 2;
  }
  if (action) exitCode = await action;
  return exitCode;
}

const args = process.argv.slice(2);
// Not a top-level await: the build bundles this file as CommonJS (scripts/build-cmd.mjs).
void (args[0] === 'query' ? runQuery(args.slice(1)) : main(args)).then((code) => {
  process.exitCode = code;
});
