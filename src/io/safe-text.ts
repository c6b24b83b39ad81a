/**
 * Text that came from outside (a document, an HTTP body, a file name, a command's stderr)
 * is shown escaped: control characters could move the cursor or clear a terminal, a NUL
 * cuts a journal line, and bidi overrides (U+202E) make a line read differently from what
 * it holds (CVE-2021-42574, "Trojan Source"). Newlines and tabs stay: messages use them.
 */

// C0 controls but \t and \n, DEL, C1 controls, and the bidi embeddings, overrides, isolates and marks.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
