/**
 * What the server does not load before it is ready (issue 17: modules that serve no part of startup
 * are loaded on first use). Observable from outside through a preload that prints the Node modules
 * the process loaded: with no TLS config, no scrape job, no remote write and a small config, neither
 * TLS nor HTTP/2 (which fastify's and undici's code require eagerly, and the bundle makes lazy) nor
 * worker threads (pino's transports, large reloads) are ever loaded.
 * The bundle's own lazy modules (the PromQL grammar, protobufjs) cannot be seen this way; the
 * startup profile shows them (README, `npm run bench`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { removeScratchDirs, scratchDir, startServer } from './helpers/server.js';
import { killAll } from './helpers/spawn.js';

afterEach(() => {
  killAll();
  removeScratchDirs();
});

/** A preload that prints, as the process exits, every Node module it loaded. */
function modulesPreload(): string {
  const file = join(scratchDir(), 'modules.cjs');
  writeFileSync(
    file,
    "process.on('exit', () => process.stderr.write('NODE MODULES ' + process.moduleLoadList" +
      ".filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).join(' ') + '\\n'));\n",
  );
  return file;
}

describe('startup', () => {
  it('loads neither TLS, HTTP/2 nor worker threads when nothing configured needs them', async () => {
    const server = startServer({
      config: 'global:\n  scrape_interval: 1h\n',
      env: { NODE_OPTIONS: `--require ${modulesPreload()}` },
    });
    await server.untilLog('Server is ready to receive web requests.');
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    const line = /^NODE MODULES (.*)$/m.exec(server.stderr());
    expect(line).not.toBeNull();
    const loaded = new Set((line?.[1] ?? '').split(' '));
    // The list is real: what startup does need is in it.
    expect(loaded.has('http')).toBe(true);
    for (const lazy of ['tls', '_tls_wrap', 'https', 'http2', 'worker_threads']) expect(loaded.has(lazy), lazy).toBe(false);
  });
});
