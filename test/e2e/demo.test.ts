/** The README's first command, `npm run demo`, shows 1/3 addresses answering before and 3/3 after. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { e2eAvailability } from '../support/e2e.js';

const availability = await e2eAvailability();
const demo = fileURLToPath(new URL('../../dist/mocks/demo.js', import.meta.url));

describe.skipIf(!availability.ok)(`the demo (${availability.reason})`, () => {
  it('shows the primary answering alone before, and all three after multinic apply', () => {
    expect(existsSync(demo)).toBe(true); // npm test builds first
    const result = spawnSync(process.execPath, [demo], { encoding: 'utf8', timeout: 120_000 });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /Before: 1\/3 answering\n {2}ens3 .* answers {3}\(primary\)\n {2}ens4 .* no answer\n {2}ens5 .* no answer/,
    );
    expect(result.stdout).toMatch(
      /After: 3\/3 answering\n {2}ens3 .* answers {3}\(primary\)\n {2}ens4 .* answers\n {2}ens5 .* answers/,
    );
    // It removed every namespace it made (named after its pid).
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(
      `mn${result.pid.toString(36)}`,
    );
  });
});
