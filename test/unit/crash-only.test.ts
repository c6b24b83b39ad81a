/**
 * Issue 17, unit level: the bounded reader, the state files' one reader (damaged files moved
 * aside), the state rebuilt from tagged rules, bounded commands, terminal-safe messages and
 * no stack trace without --debug.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { BoundExceeded } from '../../src/errors.js';
import { readBounded } from '../../src/io/read-bounded.js';
import { escapeForTerminal } from '../../src/io/safe-text.js';
import { writeFileAtomic } from '../../src/io/write-file-atomic.js';
import { runCommand } from '../../src/kernel/run.js';
import { emptyState } from '../../src/plan/allocate.js';
import type { RoutingState } from '../../src/plan/types.js';
import { cleanTempFiles } from '../../src/state/files.js';
import { adoptTaggedTables, rebuildState } from '../../src/state/rebuild.js';
import { writeRecord } from '../../src/state/record.js';
import { readState } from '../../src/state/store.js';
import { readSysctlOriginals } from '../../src/sysctl/read-write.js';
import { writePersisted } from '../../src/persist/write.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const aDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'multinic-crash-only-'));
  dirs.push(dir);
  return dir;
};

describe('readBounded', () => {
  it('reads a regular file and refuses one over the cap', async () => {
    const dir = aDir();
    writeFileSync(join(dir, 'doc'), '{"links":[]}');
    expect((await readBounded(join(dir, 'doc'), { maxBytes: 100, timeoutMs: 1000 })).toString()).toBe('{"links":[]}');
    await expect(readBounded(join(dir, 'doc'), { maxBytes: 5, timeoutMs: 1000 })).rejects.toMatchObject({
      reason: 'too-large',
    });
  });

  it('refuses a device, a directory, and (with noFollow) a symbolic link', async () => {
    const dir = aDir();
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'link'));
    await expect(readBounded('/dev/urandom', { maxBytes: 100, timeoutMs: 1000 })).rejects.toMatchObject({
      reason: 'not-a-file',
    });
    await expect(readBounded(dir, { maxBytes: 100, timeoutMs: 1000 })).rejects.toMatchObject({ reason: 'not-a-file' });
    await expect(
      readBounded(join(dir, 'link'), { maxBytes: 100, timeoutMs: 1000, noFollow: true }),
    ).rejects.toMatchObject({ reason: 'not-a-file' });
  });

  it('gives up on a FIFO nobody writes to at its timeout, and refuses one unless pipes are allowed', async () => {
    const dir = aDir();
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    await expect(readBounded(join(dir, 'fifo'), { maxBytes: 100, timeoutMs: 200 })).rejects.toMatchObject({
      reason: 'not-a-file',
    });
    await expect(
      readBounded(join(dir, 'fifo'), { maxBytes: 100, timeoutMs: 200, allowPipe: true }),
    ).rejects.toMatchObject({ reason: 'timeout' });
  });
});

describe('state files', () => {
  const warnings = () => {
    const said: string[] = [];
    return { said, warn: (message: string) => said.push(message) };
  };

  it.each([
    ['empty', ''],
    ['truncated', '{"version":1,"alloc'],
    ['of the wrong shape', '{"version":1,"allocations":{"fa:16:3e:00:00:01":{"slot":"one"}}}'],
  ])(
    'a state.json that is %s is moved aside with a timestamp, with a warning naming it, and reads as missing',
    async (_way, text) => {
      const dir = aDir();
      writeFileSync(join(dir, 'state.json'), text);
      const { said, warn } = warnings();
      expect(await readState(dir, warn)).toBeUndefined();
      expect(said).toEqual([
        expect.stringMatching(
          new RegExp(
            `^${dir}/state\\.json: .*; moved aside to ${dir}/state\\.json\\.damaged-\\d{8}T\\d{6}Z and rebuilt from the kernel's tagged rules`,
          ),
        ),
      ]);
      const aside = readdirSync(dir).filter((name) => name.startsWith('state.json.damaged-'));
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe(text); // kept for a person to look at
    },
  );

  it('reads a good state.json back, and a missing one as undefined without a warning', async () => {
    const dir = aDir();
    const { said, warn } = warnings();
    expect(await readState(dir, warn)).toBeUndefined();
    await writeRecord(dir, { state: emptyState(), applied: { nics: [], desired: { routes: [], rules: [] } } });
    expect(await readState(dir, warn)).toEqual(emptyState());
    expect(said).toEqual([]);
  });

  it('reads sysctl originals by MAC, and leaves out a key that is no MAC', async () => {
    const dir = aDir();
    writeFileSync(
      join(dir, 'sysctl-originals.json'),
      JSON.stringify({ ens4: { rp_filter: '1' }, 'FA:16:3E:00:00:09': { arp_ignore: '0' } }),
    );
    expect(await readSysctlOriginals(dir, () => undefined)).toEqual({ 'fa:16:3e:00:00:09': { arp_ignore: '0' } });
  });

  it('a damaged persist manifest is moved aside; the run goes on writing', async () => {
    const dir = aDir();
    writeFileSync(join(dir, 'persisted.json'), '{"not": "a list"}');
    const { said, warn } = warnings();
    const report = await writePersisted(
      join(dir, 'root'),
      dir,
      [{ path: '/etc/x.conf', content: '# generated by multinic\n', mode: 0o644 }],
      warn,
    );
    expect(report.written).toEqual(['/etc/x.conf']);
    expect(said[0]).toContain(`${dir}/persisted.json: not the shape multinic writes`);
    expect(JSON.parse(readFileSync(join(dir, 'persisted.json'), 'utf8'))).toEqual(['/etc/x.conf']);
  });

  it('temporary files a killed run left are removed by the next; other files stay', async () => {
    const dir = aDir();
    await writeFileAtomic(join(dir, 'state.json'), '{}');
    writeFileSync(join(dir, '.state.json.1a2b-0-k3j4h5.tmp'), '');
    writeFileSync(join(dir, '.applied.json.1a2b-1-.tmp'), '{"trunc');
    expect((await cleanTempFiles(dir)).sort()).toEqual(['.applied.json.1a2b-1-.tmp', '.state.json.1a2b-0-k3j4h5.tmp']);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });
});

describe('the state rebuilt from tagged rules', () => {
  const iface = (name: string, mac: string, address: string) => ({
    name,
    index: 1,
    mac,
    up: true,
    loopback: false,
    addresses: [{ family: 4 as const, address, prefix: 24, scope: 'global', dynamic: false }],
  });
  const interfaces = [
    iface('ens3', 'fa:16:3e:00:00:03', '203.0.113.21'),
    iface('ens4', 'fa:16:3e:00:00:04', '203.0.113.22'),
    iface('ens5', 'fa:16:3e:00:00:05', '192.0.2.30'),
  ];
  const owned: RoutingState = {
    rules: [
      { family: 4, priority: 10007, from: '203.0.113.21/32', table: 10007 },
      { family: 4, priority: 10002, from: '203.0.113.22/32', table: 10002 },
    ],
    routes: [
      { family: 4, table: 10004, dst: '192.0.2.0/24', dev: 'ens5', src: '192.0.2.30', scope: 'link' },
      { family: 4, table: 10007, dst: '203.0.113.0/24', dev: 'ens3', src: '203.0.113.21', scope: 'link' },
    ],
  };

  it('gives every NIC the table its tagged rule (or, without one, its routes) names', () => {
    expect(rebuildState(owned, interfaces).allocations).toEqual({
      'fa:16:3e:00:00:03': { slot: 7, table: 10007, priority: 10007, iface: 'ens3', attached: true },
      'fa:16:3e:00:00:04': { slot: 2, table: 10002, priority: 10002, iface: 'ens4', attached: true },
      'fa:16:3e:00:00:05': { slot: 4, table: 10004, priority: 10004, iface: 'ens5', attached: true },
    });
  });

  it('keeps what state.json says and adopts only MACs it does not know, into tables nobody holds', () => {
    const state = {
      version: 1 as const,
      allocations: {
        'fa:16:3e:00:00:03': { slot: 1, table: 10001, priority: 10001, iface: 'ens3', attached: true },
        'fa:16:3e:00:00:99': { slot: 2, table: 10002, priority: 10002, attached: false },
      },
    };
    const adopted = adoptTaggedTables(state, owned, interfaces);
    expect(adopted.allocations['fa:16:3e:00:00:03']?.table).toBe(10001);
    expect(adopted.allocations['fa:16:3e:00:00:04']).toBeUndefined(); // 10002 is reserved for ...:99
    expect(adopted.allocations['fa:16:3e:00:00:05']?.table).toBe(10004);
  });
});

describe('bounded commands', () => {
  it('kills a command that hangs at its timeout, naming it and the bound', async () => {
    const error = await runCommand('sleep', ['30'], { timeoutMs: 300 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BoundExceeded);
    expect((error as Error).message).toBe('sleep 30: no answer within 0.3 s (the bound on every command); killed');
  });

  it('kills a command that prints more than the output cap', async () => {
    process.env.MULTINIC_COMMAND_OUTPUT_CAP = String(1024 * 1024);
    try {
      await expect(runCommand('yes', [])).rejects.toThrow(
        /^yes : printed more than 1 MiB \(the bound on a command's output\); killed$/,
      );
    } finally {
      delete process.env.MULTINIC_COMMAND_OUTPUT_CAP;
    }
  });
});

describe('messages', () => {
  it('escape control and bidi characters, keep newlines and tabs', () => {
    expect(escapeForTerminal('a\u0000b\u001b[2Jc\u202ed\u2066e\tf\ng\u0085')).toBe(
      'a\\x00b\\x1b[2Jc\\u202ed\\u2066e\tf\ng\\x85',
    );
  });

  const capture = async (argv: string[], run?: Parameters<typeof main>[2]) => {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) }, run);
    return { code, stdout, stderr };
  };

  it('a document with NUL, ESC and U+202E reaches the terminal escaped', async () => {
    const dir = aDir();
    writeFileSync(join(dir, 'doc.json'), '\u202e\u001b[2J\u0000{"links":');
    const { code, stderr } = await capture(['plan', '--network-data', join(dir, 'doc.json'), '--state-dir', dir]);
    expect(code).toBe(65);
    // eslint-disable-next-line no-control-regex -- the control characters are what must not reach the terminal
    expect(stderr).not.toMatch(/[\u0000\u001b\u202e]/);
    expect(stderr).toContain('\\u202e');
  });

  it('an internal error is one line without --debug, and shows its stack with it', async () => {
    const dir = aDir();
    writeFileSync(join(dir, 'doc.json'), '{"links":[],"networks":[],"services":[]}');
    const broken = async () => {
      throw new TypeError('dst.split is not a function');
    };
    const plain = await capture(['plan', '--network-data', join(dir, 'doc.json'), '--state-dir', dir], broken);
    expect(plain.code).toBe(70);
    expect(plain.stderr).toBe(
      'multinic: internal error: TypeError: dst.split is not a function (--debug shows where)\n',
    );
    const debug = await capture(
      ['plan', '--network-data', join(dir, 'doc.json'), '--state-dir', dir, '--debug'],
      broken,
    );
    expect(debug.code).toBe(70);
    expect(debug.stderr).toMatch(/internal error: TypeError: dst.split is not a function\n(multinic: )?\s+at /);
  });

  it('a state dir that is a file is exit 74 in one line', async () => {
    const dir = aDir();
    writeFileSync(join(dir, 'file'), 'x');
    const { code, stderr } = await capture([
      'apply',
      '--network-data',
      join(dir, 'file'),
      '--state-dir',
      join(dir, 'file'),
    ]);
    expect(code).toBe(74);
    expect(stderr).toBe(
      `multinic: error: state dir ${join(dir, 'file')}: cannot take the run lock ${join(dir, 'file', 'run.lock')} (not a directory); nothing changed\n`,
    );
  });
});
