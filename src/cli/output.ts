/**
 * Where words go: results on stdout (plain or, with --json, one JSON document and
 * nothing else), progress and messages on stderr.
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
  stdout: (text) => writeQuietly(process.stdout, text),
  stderr: (text) => writeQuietly(process.stderr, text),
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

export class Reporter {
  constructor(
    private readonly io: Io,
    readonly json: boolean,
  ) {}

  /** A message for the operator, always on stderr, with what came from outside escaped. */
  say(message: string): void {
    this.io.stderr(`multinic: ${escapeForTerminal(message)}\n`);
  }

  notes(notes: Note[]): void {
    for (const note of notes) this.say(note.level === 'warn' ? `warning: ${note.message}` : note.message);
  }

  /** The result: human lines, or the JSON document under --json. */
  result(human: string[], json: unknown): void {
    if (this.json) this.io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    else if (human.length > 0) this.io.stdout(`${escapeForTerminal(human.join('\n'))}\n`);
  }
}
