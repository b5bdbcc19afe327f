/**
 * Config files a careless or hostile hand wrote: nested past any reason, or saved as UTF-16. Each
 * gets upstream's verdict, or a clear one-line error naming the file, never a JavaScript internal
 * ("Maximum call stack size exceeded", a text full of `\u0000`). Where promtool 3.5 is available
 * it checks the same files, and its verdict must be ours.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPeer } from '../../scripts/peers.mjs';
import { type Config, ConfigError, loadConfigFile } from '../../src/config/index.js';

const PROMTOOL = findPeer('promtool');
if (PROMTOOL.missing) console.log(`hostile.test.ts: promtool is not asked: ${PROMTOOL.missing}`);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'miniprom-hostile-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const OPTS = { agentMode: false };

/** Writes `content` to a file; returns its path. */
function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Our outcome for `path`: the Config, or the ConfigError's message. */
function ours(path: string): Config | string {
  try {
    return loadConfigFile(path, OPTS);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toMatch(/[\r\n]|\\u0000|call stack/);
    return (err as Error).message;
  }
}

/** promtool 3.5's verdict for `path`, when it is here. */
function theirs(path: string): 'valid' | 'invalid' | undefined {
  if (!PROMTOOL.path) return undefined;
  const run = spawnSync(PROMTOOL.path, ['check', 'config', path], { encoding: 'utf8' });
  return run.status === 0 ? 'valid' : 'invalid';
}

/** A config whose external label value is `depth` nested flow sequences. */
const nestedFlow = (depth: number) => `global:\n  external_labels:\n    a: ${'['.repeat(depth)}${']'.repeat(depth)}\n`;

describe('deeply nested YAML', () => {
  it("refuses nesting past 10000 levels in upstream's words, with the position", () => {
    const path = file('deep.yml', nestedFlow(12_000));
    expect(ours(path)).toMatch(new RegExp(`^${path}:3:\\d+: exceeded max depth of 10000$`));
    expect(theirs(path)).toBeOneOf(['invalid', undefined]);
  });

  it('reads nesting as deep as its reader follows, and says so plainly past that', () => {
    // 700 levels read (and fail as upstream fails them: a sequence is not a label value)…
    const shallow = file('shallow.yml', nestedFlow(700));
    expect(ours(shallow)).toBe(`${shallow}:3:8: global.external_labels.a: cannot unmarshal !!seq into string`);
    expect(theirs(shallow)).toBeOneOf(['invalid', undefined]);
    // …3000 (and the three maps around them) cannot be followed here, though Prometheus would: one clear line.
    const deep = file('deeper.yml', nestedFlow(3000));
    expect(ours(deep)).toMatch(
      new RegExp(
        `^${deep}:3:\\d+: nested 3003 levels deep, more than this reader can follow \\(Prometheus reads up to 10000\\)$`,
      ),
    );
  });
});

describe('encodings', () => {
  const TEXT = 'global:\n  scrape_interval: 15s\n  external_labels:\n    site: "Zürich"\n';

  it.each([
    [
      'UTF-16 little-endian with its byte-order mark',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]),
    ],
    [
      'UTF-16 big-endian with its byte-order mark',
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(TEXT, 'utf16le').swap16()]),
    ],
    ['UTF-8 with a byte-order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)])],
  ])('reads %s as upstream does', (_what, bytes) => {
    const path = file('encoded.yml', bytes);
    const plain = loadConfigFile(file('plain.yml', TEXT), OPTS);
    const cfg = ours(path);
    expect(typeof cfg).toBe('object');
    expect({ ...(cfg as Config), sourceFile: '' }).toEqual({ ...plain, sourceFile: '' });
    expect(theirs(path)).toBeOneOf(['valid', undefined]);
  });
});
