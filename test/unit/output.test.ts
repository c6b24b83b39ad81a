import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { journalWanted, Reporter, type Io } from '../../src/cli/output.js';
import { tracedRun } from '../../src/cli/trace.js';

function capture(): Io & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
  };
  return io;
}

describe('journal priorities and verbosity (src/cli/output.ts)', () => {
  it('under systemd (JOURNAL_STREAM set) every stderr line carries <3>, <4>, <6> or <7>', async () => {
    const io = capture();
    const reporter = new Reporter(io, false, {
      journal: journalWanted({ JOURNAL_STREAM: '8:12345' }),
      verbosity: 'verbose',
    });
    reporter.error('ens4: the kernel refused');
    reporter.say('warning: link tap9 (fa:16:3e:00:00:09): no interface with this MAC on the guest');
    reporter.warn('two lines\nof warning');
    reporter.say('network_data.json from /tmp/x.json');
    reporter.debug('ran ip -j rule show: exit 0 in 3 ms');
    const lines = io.err.split('\n').filter(Boolean);
    expect(lines.map((line) => line.slice(0, 3))).toEqual(['<3>', '<4>', '<4>', '<4>', '<6>', '<7>']);
    expect(lines[0]).toMatch(/^<3>\[\+\d+ ms\] error: ens4: the kernel refused$/);
    expect(lines.every((line) => !line.includes('multinic: '))).toBe(true);
  });

  it('without JOURNAL_STREAM the lines start with "multinic: " and carry no priority', () => {
    expect(journalWanted({})).toBe(false);
    const io = capture();
    new Reporter(io, false, { journal: journalWanted({}) }).warn('x');
    expect(io.err).toBe('multinic: warning: x\n');
  });

  it('--quiet keeps warnings and errors only; the default hides debug; --verbose shows all', () => {
    const said = (verbosity: 'quiet' | 'normal' | 'verbose') => {
      const io = capture();
      const reporter = new Reporter(io, false, { verbosity, now: () => 0 });
      reporter.debug('d');
      reporter.say('i');
      reporter.warn('w');
      reporter.error('e');
      return io.err;
    };
    expect(said('quiet')).toBe('multinic: warning: w\nmultinic: error: e\n');
    expect(said('normal')).toBe('multinic: i\nmultinic: warning: w\nmultinic: error: e\n');
    expect(said('verbose')).toBe(
      'multinic: [+0 ms] d\nmultinic: [+0 ms] i\nmultinic: [+0 ms] warning: w\nmultinic: [+0 ms] error: e\n',
    );
  });

  it('--verbose reports every command run with its exit code, time and input', async () => {
    const io = capture();
    let clock = 0;
    const reporter = new Reporter(io, false, { verbosity: 'verbose', now: () => clock });
    const run = tracedRun(
      async () => ((clock += 7), { stdout: '', stderr: '', exitCode: 0 }),
      reporter,
      () => clock,
    );
    await run('ip', ['-batch', '-'], { input: 'rule show\nroute show\n' });
    expect(io.err).toBe(
      'multinic: [+7 ms] ran ip -batch -: exit 0 in 7 ms, 2 line(s) of input\nmultinic: [+7 ms]   < rule show\nmultinic: [+7 ms]   < route show\n',
    );
  });

  it('main: an error under JOURNAL_STREAM is read back as <3>, with its exit code', async () => {
    const io = capture();
    const code = await main(['frobnicate'], io, async () => ({ stdout: '', stderr: '', exitCode: 0 }), {
      JOURNAL_STREAM: '8:1',
    });
    expect(code).toBe(64);
    expect(io.err).toMatch(/^<3>error: unknown command "frobnicate"/);
  });
});
