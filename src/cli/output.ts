/**
 * Where words go: results on stdout (plain or, with --json, one JSON document and
 * nothing else), progress and messages on stderr, each with a level.
 *
 * Under systemd (JOURNAL_STREAM set: stderr is connected to the journal) every line starts
 * with its syslog priority, `<3>` error, `<4>` warning, `<6>` info, `<7>` debug
 * (sd-daemon(3)), so `journalctl -p warning -u multinic` shows only what matters; the
 * journal names the program itself, so the "multinic: " prefix is left out there.
 */
import { escapeForTerminal } from '../io/safe-text.js';
import type { Note } from '../model/types.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * A closed stdout or stderr (`multinic apply 2>&1 | head -1`) must not stop a run half-way:
 * the kernel may already be changing. Write errors (EPIPE) are dropped; the exit code still
 * tells the outcome (README, "Exit codes").
 */
export const processIo: Io = {
  stdout: (text) => {
    writeQuietly(process.stdout, text);
  },
  stderr: (text) => {
    writeQuietly(process.stderr, text);
  },
};

function writeQuietly(stream: NodeJS.WriteStream, text: string): void {
  if (stream.listenerCount('error') === 0) stream.on('error', () => undefined);
  if (stream.destroyed || stream.writableEnded) return;
  try {
    stream.write(text);
  } catch {
    // A synchronous EPIPE (stderr to a closed pipe): nobody is there to read it.
  }
}

export type Level = 'error' | 'warning' | 'info' | 'debug';
/** quiet: warnings and errors only; verbose: also debug (commands run, timings). */
export type Verbosity = 'quiet' | 'normal' | 'verbose';

const PRIORITY: Record<Level, number> = { error: 3, warning: 4, info: 6, debug: 7 };

export interface ReporterOptions {
  verbosity?: Verbosity;
  /** Prefix each line with its syslog priority (stderr goes to the journal). */
  journal?: boolean;
  /** Milliseconds, for the elapsed time shown with --verbose. */
  now?: () => number;
}

/** Whether stderr goes to the journal: systemd sets JOURNAL_STREAM for a unit's stdout/stderr. */
export function journalWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return typeof env.JOURNAL_STREAM === 'string' && env.JOURNAL_STREAM !== '';
}

export class Reporter {
  readonly verbosity: Verbosity;
  private readonly journal: boolean;
  private readonly now: () => number;
  private readonly start: number;

  constructor(
    private readonly io: Io,
    readonly json: boolean,
    options: ReporterOptions = {},
  ) {
    this.verbosity = options.verbosity ?? 'normal';
    this.journal = options.journal ?? false;
    this.now = options.now ?? (() => performance.now());
    this.start = this.now();
  }

  /** The same settings writing elsewhere: a command that runs another holds back its words. */
  withIo(io: Io, json: boolean): Reporter {
    return new Reporter(io, json, { verbosity: this.verbosity, journal: this.journal, now: this.now });
  }

  /** Whether a message of this level is shown at all (callers skip costly messages). */
  shows(level: Level): boolean {
    if (level === 'debug') return this.verbosity === 'verbose';
    if (level === 'info') return this.verbosity !== 'quiet';
    return true;
  }

  /** Writes one message at a level; a multi-line message keeps its level on every line. */
  log(level: Level, message: string): void {
    if (!this.shows(level)) return;
    const elapsed = this.verbosity === 'verbose' ? `[+${Math.round(this.now() - this.start)} ms] ` : '';
    const prefix = this.journal ? `<${PRIORITY[level]}>` : 'multinic: ';
    // What came from outside is escaped (io/safe-text.ts); each line keeps its level.
    const lines = escapeForTerminal(message)
      .split('\n')
      .map((line) => `${prefix}${elapsed}${line}\n`);
    this.io.stderr(lines.join(''));
  }

  /**
   * A message for the operator, always on stderr. Its level follows its wording: the
   * commands say "warning: …" and "error: …" (the words stay in the line, so a reader
   * without the journal's priorities sees them too); anything else is info.
   */
  say(message: string): void {
    this.log(message.startsWith('error: ') ? 'error' : message.startsWith('warning: ') ? 'warning' : 'info', message);
  }

  warn(message: string): void {
    this.log('warning', `warning: ${message}`);
  }

  error(message: string): void {
    this.log('error', `error: ${message}`);
  }

  debug(message: string): void {
    this.log('debug', message);
  }

  notes(notes: Note[]): void {
    for (const note of notes)
      if (note.level === 'warn') this.warn(note.message);
      else this.say(note.message);
  }

  /** The result: human lines, or the JSON document under --json. */
  result(human: string[], json: unknown): void {
    if (this.json) this.io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    else if (human.length > 0) this.io.stdout(`${escapeForTerminal(human.join('\n'))}\n`);
  }
}
