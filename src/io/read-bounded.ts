/**
 * Reads a file with a bound on its size and on the time it may take, and refuses what is
 * not a file. Every input multinic reads (--network-data, the config drive's file, the
 * state files) goes through here: a FIFO nobody writes to would otherwise hang the run with
 * the lock held, and /dev/urandom would fill the guest's memory.
 *
 * The file is opened non-blocking, so opening a FIFO returns at once; what it is decides
 * how it is read: a regular file in one bounded read, a pipe or FIFO (when allowed: a
 * shell's `<(…)`) as a stream with a timer that closes it. Devices and directories are refused.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { Socket } from 'node:net';
import { formatBytes, formatMs } from './units.js';

export type ReadFailure = 'missing' | 'not-a-file' | 'too-large' | 'timeout' | 'unreadable';

export class BoundedReadError extends Error {
  constructor(
    message: string,
    readonly reason: ReadFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ReadBoundedOptions {
  maxBytes: number;
  /** How long a pipe may take to deliver everything. */
  timeoutMs: number;
  /** Read pipes and FIFOs (--network-data <(…)); otherwise only regular files. */
  allowPipe?: boolean;
  /** Refuse a symbolic link as the last component (state files: nothing outside the state dir). */
  noFollow?: boolean;
}

export async function readBounded(path: string, options: ReadBoundedOptions): Promise<Buffer> {
  const flags =
    constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY | (options.noFollow ? constants.O_NOFOLLOW : 0);
  let fd: number;
  try {
    fd = openSync(path, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BoundedReadError('no such file', 'missing', { cause: error });
    if (code === 'ELOOP') throw new BoundedReadError('a symbolic link, not a file', 'not-a-file', { cause: error });
    throw new BoundedReadError(describeErrno(error), 'unreadable', { cause: error });
  }
  let handedOver = false;
  try {
    const stat = fstatSync(fd);
    if (stat.isFile()) return readRegular(fd, stat.size, options.maxBytes);
    if ((stat.isFIFO() || stat.isSocket()) && options.allowPipe) {
      handedOver = true;
      return await readPipe(fd, options);
    }
    throw new BoundedReadError(`${kindOf(stat)}, not a regular file`, 'not-a-file');
  } finally {
    if (!handedOver) closeSync(fd);
  }
}

function readRegular(fd: number, size: number, maxBytes: number): Buffer {
  if (size > maxBytes) throw new BoundedReadError(`larger than ${formatBytes(maxBytes)} (${size} bytes)`, 'too-large');
  // One byte more than allowed: a file that grows while read is caught too.
  const buffer = Buffer.alloc(Math.min(size, maxBytes) + 1);
  let total = 0;
  for (;;) {
    let read: number;
    try {
      read = readSync(fd, buffer, total, buffer.length - total, null);
    } catch (error) {
      throw new BoundedReadError(describeErrno(error), 'unreadable', { cause: error });
    }
    if (read === 0) break;
    total += read;
    if (total > maxBytes) throw new BoundedReadError(`larger than ${formatBytes(maxBytes)}`, 'too-large');
    if (total === buffer.length) break;
  }
  return buffer.subarray(0, total);
}

function readPipe(fd: number, options: ReadBoundedOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // libuv polls a non-blocking pipe: nothing blocks a thread while the writer is away.
    const socket = new Socket({ fd, readable: true, writable: false });
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(() => {
      settle(
        new BoundedReadError(`a pipe that delivered no end of file within ${formatMs(options.timeoutMs)}`, 'timeout'),
      );
    }, options.timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxBytes)
        settle(new BoundedReadError(`a pipe that delivered more than ${formatBytes(options.maxBytes)}`, 'too-large'));
      else chunks.push(chunk);
    });
    socket.on('end', () => {
      settle(undefined);
    });
    socket.on('error', (error) => {
      settle(new BoundedReadError(describeErrno(error), 'unreadable', { cause: error }));
    });
  });
}

function kindOf(stat: ReturnType<typeof fstatSync>): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

export function describeErrno(error: unknown): string {
  const e = typeof error === 'object' && error !== null ? (error as NodeJS.ErrnoException) : undefined;
  const words: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    ENOTDIR: 'a path component is not a directory',
    EISDIR: 'a directory',
    ENOENT: 'no such file or directory',
    EIO: 'input/output error',
  };
  const code = e?.code;
  return (code === undefined ? undefined : words[code]) ?? code ?? e?.message ?? String(error);
}
