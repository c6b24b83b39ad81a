/**
 * The few error classes multinic raises. Each carries a sysexits-style exit code; only
 * the CLI's `main` turns them into an exit status and a message (see src/cli/main.ts).
 */

export const ExitCode = {
  ok: 0,
  usage: 64, // EX_USAGE
  dataErr: 65, // EX_DATAERR: network_data.json is not what Nova writes
  unavailable: 69, // EX_UNAVAILABLE: no source of network_data.json answered
  software: 70, // EX_SOFTWARE: a bug, or the kernel refused what we asked
  ioErr: 74, // EX_IOERR: the state dir cannot be read or written (full, read-only, not a directory)
  tempFail: 75, // EX_TEMPFAIL: try again later (lock held, NIC not there yet, a bound hit)
  config: 78, // EX_CONFIG: /etc/multinic/multinic.conf holds a value multinic refuses
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class MultinicError extends Error {
  abstract readonly exitCode: ExitCodeValue;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The command line is wrong: an unknown option, a missing value. */
export class UsageError extends MultinicError {
  readonly exitCode = ExitCode.usage;
}

/** network_data.json is malformed; the message names the JSON path. */
export class InvalidNetworkData extends MultinicError {
  readonly exitCode = ExitCode.dataErr;
}

/** No source of network_data.json answered (in time). Retryable by the caller. */
export class MetadataUnavailable extends MultinicError {
  readonly exitCode = ExitCode.unavailable;
}

/** `ip` (or another system command) failed or printed what we cannot read. */
export class KernelCommandFailed extends MultinicError {
  readonly exitCode = ExitCode.software;
  constructor(
    message: string,
    readonly command: string,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The change was applied but the kernel does not route as planned; it was undone. */
export class VerificationFailed extends MultinicError {
  readonly exitCode = ExitCode.software;
  constructor(
    message: string,
    readonly failures: string[],
  ) {
    super(message);
  }
}

/** /etc/multinic/multinic.conf (or --config FILE) holds a line or value multinic refuses; the message names file and line. */
export class InvalidConfiguration extends MultinicError {
  readonly exitCode = ExitCode.config;
}

/**
 * A `multinic reconcile` run (the timer's) that found no source of network_data.json
 * answering: it kept what is there, which is not a failure of the timer (exit 0).
 * `firstTime`: the previous run got an answer, so this is news worth a warning.
 */
export class ReconcileSkipped extends MultinicError {
  readonly exitCode = ExitCode.ok;
  constructor(
    message: string,
    readonly firstTime: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Something that will likely succeed later: the lock is held, a NIC is still coming. */
export class TemporaryFailure extends MultinicError {
  readonly exitCode = ExitCode.tempFail;
}

/**
 * A file multinic must read or write cannot be: the state dir full, read-only, not a
 * directory, not ours; a persisted file under --root. Raised before the kernel changes, or
 * after the change was undone (the message says which).
 */
export class StorageFailed extends MultinicError {
  readonly exitCode = ExitCode.ioErr;
}

/**
 * A bound was hit: a command ran longer than its timeout or printed more than its cap and
 * was killed. The message names the command and the bound. Retryable.
 */
export class BoundExceeded extends MultinicError {
  readonly exitCode = ExitCode.tempFail;
}
