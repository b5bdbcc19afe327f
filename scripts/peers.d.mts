export type Peer = { path: string; version: string; missing?: undefined } | { missing: string; path?: undefined };
export function peersDir(): string;
export function findPeer(name: 'prometheus' | 'promtool' | 'prometheus-alertmanager'): Peer;
