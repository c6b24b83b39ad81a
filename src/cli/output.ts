/**
 * Where words go: results on stdout (plain or, with --json, one JSON document and
 * nothing else), progress and messages on stderr.
 */
import type { Note } from '../model/types.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export class Reporter {
  constructor(
    private readonly io: Io,
    readonly json: boolean,
  ) {}

  /** A message for the operator, always on stderr. */
  say(message: string): void {
    this.io.stderr(`multinic: ${message}\n`);
  }

  notes(notes: Note[]): void {
    for (const note of notes) this.say(note.level === 'warn' ? `warning: ${note.message}` : note.message);
  }

  /** The result: human lines, or the JSON document under --json. */
  result(human: string[], json: unknown): void {
    if (this.json) this.io.stdout(`${JSON.stringify(json, null, 2)}\n`);
    else if (human.length > 0) this.io.stdout(`${human.join('\n')}\n`);
  }
}
