import { statfsSync } from 'node:fs';

/** Filesystem magic numbers, named as upstream's prom_runtime.Statfs names them. */
const MAGIC = new Map<number, string>([
  [0xef53, 'EXT4_SUPER_MAGIC'],
  [0x58465342, 'XFS_SUPER_MAGIC'],
  [0x9123683e, 'BTRFS_SUPER_MAGIC'],
  [0x01021994, 'TMPFS_MAGIC'],
  [0x6969, 'NFS_SUPER_MAGIC'],
  [0x794c7630, 'OVERLAYFS_SUPER_MAGIC'],
  [0x2fc12fc2, 'ZFS_SUPER_MAGIC'],
  [0x65735546, 'FUSE_SUPER_MAGIC'],
  [0xff534d42, 'CIFS_MAGIC_NUMBER'],
]);

/** The type of the filesystem holding `dir` (TSDB warns on NFS). */
export function fsType(dir: string): string {
  try {
    const type = statfsSync(dir).type;
    return MAGIC.get(type) ?? `0x${type.toString(16).toUpperCase()}`;
  } catch {
    return 'UNKNOWN';
  }
}
