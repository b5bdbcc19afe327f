/**
 * The reference Alertmanager 0.33 (scripts/peers.sh) for tests that send it alerts: started on
 * 127.0.0.1 with clustering off, in a scratch directory, ready once it listens.
 *
 * Debian's build reads its default notification templates from the fixed path
 * /usr/share/prometheus/alertmanager, which peers.sh unpacks under its own directory instead. So
 * that nothing on the machine changes, the peer runs in a user and mount namespace of its own
 * (`unshare`) where the peers' /usr/share is overlaid on the real one; where the templates are
 * installed already, it runs directly.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort } from '../../scripts/free-port.mjs';
import { findPeer, type Peer } from '../../scripts/peers.mjs';
import { scratchDir } from './server.js';

const SYSTEM_TEMPLATES = '/usr/share/prometheus/alertmanager/default.tmpl';

/**
 * The peer, or why it cannot run here: missing, or its templates are not installed and this
 * machine gives no user and mount namespace to overlay them in.
 */
export const ALERTMANAGER = ((): Peer => {
  const peer = findPeer('prometheus-alertmanager');
  if (!peer.path || existsSync(SYSTEM_TEMPLATES)) return peer;
  const probe = spawnSync('unshare', ['--mount', '--user', '--map-root-user', 'true'], { stdio: 'ignore' });
  if (probe.status === 0) return peer;
  return {
    missing: `prometheus-alertmanager needs ${SYSTEM_TEMPLATES} or \`unshare --mount --user\` to find its templates, and this machine has neither`,
  };
})();

const running = new Set<ReferenceAlertmanager>();

/** Stops every instance still running; call from afterEach. */
export async function stopAlertmanagers(): Promise<void> {
  await Promise.all([...running].map((a) => a.stop()));
}

export interface ReferenceAlertmanager {
  base: string;
  log(): string;
  /** SIGTERM, then resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts Alertmanager with `config` (YAML); resolves once it listens. Rejects (with its log) when
 * it exits first; throws if the peer is missing: callers skip first, printing `ALERTMANAGER.missing`.
 */
export async function startAlertmanager(config: string): Promise<ReferenceAlertmanager> {
  if (!ALERTMANAGER.path) throw new Error(ALERTMANAGER.missing);
  const dir = scratchDir();
  const port = await freePort();
  const file = join(dir, 'alertmanager.yml');
  writeFileSync(file, config);
  const args = [
    `--config.file=${file}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--cluster.listen-address=',
  ];
  // peers/root/usr/bin/prometheus-alertmanager → peers/root/usr/share.
  const share = join(dirname(dirname(ALERTMANAGER.path)), 'share');
  const child = existsSync(SYSTEM_TEMPLATES)
    ? spawn(ALERTMANAGER.path, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(
        'unshare',
        [
          '--mount',
          '--user',
          '--map-root-user',
          'sh',
          '-c',
          // exec: the process the test holds is Alertmanager itself.
          'mount -t overlay overlay -o "lowerdir=$1:/usr/share" /usr/share && shift && exec "$@"',
          'sh',
          share,
          ALERTMANAGER.path,
          ...args,
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let log = '';
  const instance: ReferenceAlertmanager = {
    base: `http://127.0.0.1:${port}`,
    log: () => log,
    async stop() {
      running.delete(instance);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  running.add(instance);
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('msg="Listening on"')) resolve();
    });
    child.once('error', (err) => reject(err));
    child.once('exit', (code) => reject(new Error(`alertmanager exited with ${code}:\n${log}`)));
  });
  return instance;
}
