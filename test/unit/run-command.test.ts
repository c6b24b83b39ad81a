/**
 * runCommand, the door to the commands a run asks (node:child_process since execa's load time
 * showed in the benchmark): stdin, stdout, stderr, exit codes, a missing command, LC_ALL.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KernelCommandFailed } from '../../src/errors.js';
import { loggedRun } from '../../src/cli/trace.js';
import { runChecked, runCommand } from '../../src/kernel/run.js';

describe('runCommand', () => {
  it('feeds the input on stdin and returns stdout unstripped', async () => {
    const result = await runCommand('cat', [], { input: 'route get 192.0.2.1\nroute get 192.0.2.2\n' });
    expect(result).toEqual({ stdout: 'route get 192.0.2.1\nroute get 192.0.2.2\n', stderr: '', exitCode: 0 });
  });

  it('returns stderr and a non-zero exit code without throwing', async () => {
    const result = await runCommand('sh', ['-c', 'echo "RTNETLINK answers: File exists" >&2; exit 2']);
    expect(result).toEqual({ stdout: '', stderr: 'RTNETLINK answers: File exists\n', exitCode: 2 });
  });

  it('runs with LC_ALL=C and the rest of the environment', async () => {
    process.env.MULTINIC_TEST_MARK = 'kept';
    try {
      const result = await runCommand('sh', ['-c', 'echo "$LC_ALL $MULTINIC_TEST_MARK"']);
      expect(result.stdout).toBe('C kept\n');
    } finally {
      delete process.env.MULTINIC_TEST_MARK;
    }
  });

  it('does not fail when the command exits without reading a large input', async () => {
    const result = await runCommand('true', [], { input: 'x'.repeat(1 << 20) });
    expect(result.exitCode).toBe(0);
  });

  it('throws KernelCommandFailed naming the command when it cannot run', async () => {
    await expect(runCommand('multinic-no-such-command', ['-j'])).rejects.toThrow(KernelCommandFailed);
    await expect(runCommand('multinic-no-such-command', ['-j'])).rejects.toThrow(
      /multinic-no-such-command: could not run \(.*ENOENT/,
    );
  });

  it('loggedRun (MULTINIC_RUN_LOG) logs every command with its input, and passes its answer through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'multinic-runlog-'));
    const run = loggedRun(runCommand, join(dir, 'runs'));
    try {
      expect((await run('cat', ['-'], { input: 'addr show\n' })).stdout).toBe('addr show\n');
      expect((await run('false', [])).exitCode).toBe(1);
      expect(
        readFileSync(join(dir, 'runs'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as unknown),
      ).toEqual([
        { command: 'cat', args: ['-'], input: 'addr show\n' },
        { command: 'false', args: [], input: null },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runChecked names the command and repeats what it said when it fails', async () => {
    await expect(
      runChecked(runCommand, 'sh', ['-c', 'echo "Error: nexthop has invalid gateway." >&2; exit 2']),
    ).rejects.toThrow(/sh -c .* failed \(exit 2\): Error: nexthop has invalid gateway\./);
  });
});
