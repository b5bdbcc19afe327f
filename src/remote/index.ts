/**
 * src/remote: remote write (queues that send committed samples to remote_write endpoints as
 * snappy-compressed remote write 1.0 protobuf), remote storage's reload and close, and the remote
 * write receiver (1.0 and 2.0 requests into local storage).
 */

export { encodeWriteRequest, type QueuedSample } from './proto.js';
export { snappyCompress, snappyDecompress } from './snappy.js';
export { createRemoteStorage, type RemoteStorage, type RemoteStorageOptions } from './storage.js';
export {
  createRemoteWriteReceiver,
  DECODE_WRITE_LIMIT,
  type RemoteWriteReceiver,
  type RemoteWriteReceiverOptions,
  type RemoteWriteRequest,
  type RemoteWriteResponse,
} from './receiver.js';
