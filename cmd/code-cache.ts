/**
 * Runs a CommonJS bundle of an entry point (scripts/build-cmd.mjs writes them into dist/cmd) with
 * V8's code cache, as Node 20 has no compile cache of its own. Compiling the bundle's few
 * megabytes is most of what startup spends beyond Node's floor; with the cache, V8 takes the
 * functions it compiled last time instead of parsing them again.
 *
 * The cache is written once, when the process exits after a run that had none (or whose cache V8
 * refused), so it holds every function that run compiled; it is written to a temporary file and
 * renamed, so a concurrent start reads either no cache or a whole one. A bundle run with
 * `{ untilReady: true }` (the server's) writes it only if the run got as far as `markReady()`: a
 * first run that only printed --version, or refused its config, compiled a tenth of startup, and
 * its cache would make every later start compile the rest (~30 ms) for as long as the build lives. Its name carries the
 * bundle's build id and Node's V8 version and architecture, so a rebuilt bundle or another Node
 * never reads a stale cache (and V8 itself refuses one made with other flags, which is then
 * rewritten). Where the directory cannot be written (an installation owned by someone else), the
 * bundle simply runs without a cache.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** Where the cache of `bundle` (built as `buildId`) lives for this Node. */
export function cachePath(bundle: string, buildId: string): string {
  const name = `${basename(bundle)}-${buildId}-v8-${process.versions.v8}-${process.arch}.bin`;
  return join(dirname(bundle), '.v8-cache', name);
}

/**
 * Runs the bundle at `url` (built as `buildId`) and returns its exports. The file holds one
 * function expression, `(function (exports, require, module, __filename, __dirname) {…})`: the
 * module as CommonJS wraps it.
 */
export function runBundle(url: URL, buildId: string, options: { untilReady?: boolean } = {}): Record<string, unknown> {
  const file = fileURLToPath(url);
  const cache = cachePath(file, buildId);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cache);
  } catch {
    // No cache yet: this run writes it.
  }
  // CommonJS's own wrapper, so the bundle sees the five names a module does.
  // The file holds the module inside CommonJS's wrapper function, as the build writes it, so the
  // one string read is the source V8 keeps.
  // Latin-1: the build checks the bundle is ASCII, and Latin-1 reads it without UTF-8's decoding.
  const script = new Script(readFileSync(file, 'latin1'), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => {
      if (!options.untilReady || ready) writeCache(script, cache);
    });
  }
  const module = { exports: {} as Record<string, unknown> };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

let ready = false;

/** The run has done what startup does (the server is ready): its exit may write the cache. */
export function markReady(): void {
  ready = true;
}

/** Writes the script's code cache whole (a temporary file, then renamed) or not at all. */
function writeCache(script: Script, cache: string): void {
  const temporary = `${cache}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(cache), { recursive: true });
    writeFileSync(temporary, script.createCachedData());
    renameSync(temporary, cache);
  } catch {
    // A read-only installation (or a full disk): the bundle runs uncached, as it did this time.
    rmSync(temporary, { force: true });
  }
}
