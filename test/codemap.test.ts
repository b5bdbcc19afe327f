/**
 * The codemap is checked, not hoped: dependency-cruiser enforces ARCHITECTURE.md's import rules
 * (.dependency-cruiser.cjs), the rules fail on a deliberately wrong import, and ARCHITECTURE.md's
 * "may import" column says exactly what the rules allow.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/spawn.js';

const depcruise = join(ROOT, 'node_modules', '.bin', 'depcruise');
const config = join(ROOT, '.dependency-cruiser.cjs');

function cruise(cwd: string, paths: string[]) {
  const r = spawnSync(depcruise, [...paths, '--config', config, '--output-type', 'err'], { cwd, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

interface Rule {
  name: string;
  from: { path?: string };
  to: { pathNot?: string[] };
}

/** What each module may import, read back from the rules. */
function rulesMap(): Map<string, string[]> {
  const rules = (createRequire(import.meta.url)(config) as { forbidden: Rule[] }).forbidden;
  const map = new Map<string, string[]>();
  for (const rule of rules.filter((r) => r.name.startsWith('codemap-'))) {
    const name = rule.name.slice('codemap-'.length);
    const others = (rule.to.pathNot ?? []).map((p) => /^\^src\/([^/]+)\/$/.exec(p)?.[1]).filter((m) => m !== name);
    map.set(name, (others as string[]).sort());
  }
  return map;
}

/** What ARCHITECTURE.md's codemap says each src module may import: the backticked module names. */
function architectureMap(modules: ReadonlySet<string>): Map<string, string[]> {
  const text = readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8');
  const map = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const row = /^\| `src\/([^/`]+)\/` \|.*\| ([^|]*) \|$/.exec(line);
    if (!row) continue;
    const names = [...(row[2] as string).matchAll(/`([a-z]+)`/g)].map((m) => m[1] as string);
    map.set(row[1] as string, [...new Set(names.filter((n) => modules.has(n)))].sort());
  }
  return map;
}

describe('the codemap', () => {
  it('holds for cmd/ and src/', () => {
    const r = cruise(ROOT, ['src', 'cmd']);
    expect(r.out).toContain('no dependency violations found');
    expect(r.code).toBe(0);
  });

  it('fails on a wrong import (src/run importing src/config)', () => {
    const r = cruise(join(ROOT, 'test/fixtures/codemap/bad'), ['src']);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('codemap-run: src/run/group.ts → src/config/index.ts');
  });

  it("is what ARCHITECTURE.md's may-import column says, module for module", () => {
    const rules = rulesMap();
    expect(architectureMap(new Set(rules.keys()))).toEqual(rules);
  });
});
