import { statfsSync } from 'node:fs';

/**
 * Filesystem magic numbers as upstream's prom_runtime.Statfs names them, plus the common Linux
 * filesystems its table lacks (btrfs, overlayfs, zfs, fuse). Built on first use, not at import.
 */
let names: Map<number, string> | undefined;

function magicNames(): Map<number, string> {
  names ??= new Map<number, string>([
    [0xadf5, 'ADFS_SUPER_MAGIC'],
    [0xadff, 'AFFS_SUPER_MAGIC'],
    [0x42465331, 'BEFS_SUPER_MAGIC'],
    [0x1badface, 'BFS_MAGIC'],
    [0x9123683e, 'BTRFS_SUPER_MAGIC'],
    [0xff534d42, 'CIFS_MAGIC_NUMBER'],
    [0x73757245, 'CODA_SUPER_MAGIC'],
    [0x012ff7b7, 'COH_SUPER_MAGIC'],
    [0x28cd3d45, 'CRAMFS_MAGIC'],
    [0x1373, 'DEVFS_SUPER_MAGIC'],
    [0x00414a53, 'EFS_SUPER_MAGIC'],
    [0x137d, 'EXT_SUPER_MAGIC'],
    [0xef51, 'EXT2_OLD_SUPER_MAGIC'],
    [0xef53, 'EXT4_SUPER_MAGIC'],
    [0x65735546, 'FUSE_SUPER_MAGIC'],
    [0x4244, 'HFS_SUPER_MAGIC'],
    [0xf995e849, 'HPFS_SUPER_MAGIC'],
    [0x958458f6, 'HUGETLBFS_MAGIC'],
    [0x9660, 'ISOFS_SUPER_MAGIC'],
    [0x72b6, 'JFFS2_SUPER_MAGIC'],
    [0x3153464a, 'JFS_SUPER_MAGIC'],
    [0x137f, 'MINIX_SUPER_MAGIC'],
    [0x138f, 'MINIX_SUPER_MAGIC2'],
    [0x2468, 'MINIX2_SUPER_MAGIC'],
    [0x2478, 'MINIX2_SUPER_MAGIC2'],
    [0x4d44, 'MSDOS_SUPER_MAGIC'],
    [0x564c, 'NCP_SUPER_MAGIC'],
    [0x6969, 'NFS_SUPER_MAGIC'],
    [0x5346544e, 'NTFS_SB_MAGIC'],
    [0x9fa1, 'OPENPROM_SUPER_MAGIC'],
    [0x794c7630, 'OVERLAYFS_SUPER_MAGIC'],
    [0x9fa0, 'PROC_SUPER_MAGIC'],
    [0x002f, 'QNX4_SUPER_MAGIC'],
    [0x52654973, 'REISERFS_SUPER_MAGIC'],
    [0x7275, 'ROMFS_MAGIC'],
    [0x517b, 'SMB_SUPER_MAGIC'],
    [0x012ff7b6, 'SYSV2_SUPER_MAGIC'],
    [0x012ff7b5, 'SYSV4_SUPER_MAGIC'],
    [0x01021994, 'TMPFS_MAGIC'],
    [0x15013346, 'UDF_SUPER_MAGIC'],
    [0x00011954, 'UFS_MAGIC'],
    [0x9fa2, 'USBDEVICE_SUPER_MAGIC'],
    [0xa501fcf5, 'VXFS_SUPER_MAGIC'],
    [0x012ff7b4, 'XENIX_SUPER_MAGIC'],
    [0x58465342, 'XFS_SUPER_MAGIC'],
    [0x012fd16d, '_XIAFS_SUPER_MAGIC'],
    [0x2fc12fc2, 'ZFS_SUPER_MAGIC'],
  ]);
  return names;
}

/**
 * The type of the filesystem holding `dir`, named as upstream logs it (`fs_type`; TSDB warns on
 * NFS). Like upstream, an unknown magic is its lowercase hex number, and a failed statfs is `0`.
 */
export function fsType(dir: string): string {
  let magic: number;
  try {
    // Some platforms report f_type as a signed 32-bit value; magics are unsigned.
    magic = statfsSync(dir).type >>> 0;
  } catch {
    return '0';
  }
  return magicNames().get(magic) ?? magic.toString(16);
}
