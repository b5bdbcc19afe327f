/**
 * File-based service discovery (file_sd_configs): target groups read from JSON or YAML files
 * matching the configured patterns, re-read when a watched directory changes and every
 * refresh_interval, as upstream's discovery/file. Each group gets `__meta_filepath`; its source is
 * `<file>:<index>`. A file that fails to parse keeps its last good groups (and is logged).
 */
import { type FSWatcher, readdirSync, readFileSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { parse } from 'yaml';
import type { FileSDConfig, TargetGroup } from '../config/index.js';

function matches(pattern: string): string[] {
  const dir = dirname(pattern);
  const base = basename(pattern);
  if (!base.includes('*')) {
    try {
      readFileSync(pattern);
      return [pattern];
    } catch {
      return [];
    }
  }
  const re = new RegExp(`^${base.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
  try {
    return readdirSync(dir)
      .filter((name) => re.test(name))
      .sort()
      .map((name) => `${dir}/${name}`);
  } catch {
    return [];
  }
}

/** Parses one file's groups; throws with the file name on a malformed file. */
export function readTargetFile(file: string): TargetGroup[] {
  const text = readFileSync(file, 'utf8');
  const data: unknown = file.toLowerCase().endsWith('.json') ? JSON.parse(text) : parse(text);
  if (data === null || data === undefined) return [];
  if (!Array.isArray(data)) throw new Error(`${file}: expected a list of target groups`);
  return data.map((group: unknown, i) => {
    const g = (group ?? {}) as { targets?: unknown; labels?: unknown };
    if (!Array.isArray(g.targets))
      throw new Error(`${file}: group ${i}: 'targets' must be a list of host:port strings`);
    const labels: Record<string, string> = { __meta_filepath: file };
    for (const [k, v] of Object.entries((g.labels ?? {}) as Record<string, unknown>)) {
      if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k))
        throw new Error(`${file}: group ${i}: ${JSON.stringify(k)} is not a valid label name`);
      labels[k] = String(v);
    }
    const targets = g.targets.map((t) => {
      if (typeof t !== 'string' || t === '') throw new Error(`${file}: group ${i}: empty or non-string target`);
      return { __address__: t };
    });
    return { source: `${file}:${i}`, labels, targets };
  });
}

/**
 * Runs one file_sd config until `signal` aborts, calling `onUpdate` with all its groups whenever
 * they may have changed. Watchers and the refresh timer are released on abort.
 */
export function runFileSD(
  cfg: FileSDConfig,
  logger: Logger,
  signal: AbortSignal,
  onUpdate: (groups: TargetGroup[]) => void,
): void {
  const lastGood = new Map<string, TargetGroup[]>();
  const refresh = () => {
    const seen = new Set<string>();
    for (const pattern of cfg.files) {
      for (const file of matches(pattern)) {
        seen.add(file);
        try {
          lastGood.set(file, readTargetFile(file));
        } catch (err) {
          logger.error({ file, err }, 'Error reading file');
        }
      }
    }
    for (const file of lastGood.keys()) if (!seen.has(file)) lastGood.delete(file);
    onUpdate([...lastGood.values()].flat());
  };
  const watchers: FSWatcher[] = [];
  for (const dir of new Set(cfg.files.map((f) => dirname(f)))) {
    try {
      const w = watch(dir, { persistent: false }, () => refresh());
      w.on('error', (err) => logger.error({ dir, err }, 'Error watching directory'));
      watchers.push(w);
    } catch (err) {
      logger.error({ dir, err }, 'Error adding file watch');
    }
  }
  const timer = setInterval(refresh, cfg.refreshInterval);
  timer.unref();
  refresh();
  signal.addEventListener(
    'abort',
    () => {
      clearInterval(timer);
      for (const w of watchers) w.close();
    },
    { once: true },
  );
}
