// Where the reference peers are: the binaries scripts/peers.sh unpacked (Prometheus and promtool
// 3.5.3, Alertmanager 0.33). The one place tests and `npm run bench` look them up, so a peer that
// is missing is skipped with the same printed reason everywhere.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The directory scripts/peers.sh fills (the same default as the script's). */
export function peersDir() {
  if (process.env.MINIPROM_PEERS_DIR) return process.env.MINIPROM_PEERS_DIR;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'miniprom', 'peers');
}

/**
 * The peer `name` ('prometheus', 'promtool' or 'prometheus-alertmanager'): its path and Debian
 * version, or `missing`, a sentence saying why it cannot be used (print it when skipping).
 */
export function findPeer(name) {
  const dir = peersDir();
  const path = join(dir, 'root', 'usr', 'bin', name);
  if (!existsSync(path)) {
    return { missing: `${name} 3.5 peer not found at ${path} (run bash scripts/peers.sh; .ci/run does)` };
  }
  const versionFile = join(dir, `${name}.version`);
  const version = existsSync(versionFile) ? readFileSync(versionFile, 'utf8').trim() : 'unknown';
  return { path, version };
}
