/**
 * src/remote: remote write (queues that send committed samples to remote_write endpoints as
 * snappy-compressed remote write 1.0 protobuf) and remote storage's reload and close.
 */

export { encodeWriteRequest, type QueuedSample } from './proto.js';
export { snappyCompress, snappyDecompress } from './snappy.js';
export { createRemoteStorage, type RemoteStorage, type RemoteStorageOptions } from './storage.js';
