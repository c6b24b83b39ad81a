/**
 * bench/timeline.ts: a real strace of a fresh run (the bundle from its snapshot, N = 8, taken
 * with `strace -f -qq -tt -e trace=execve,exit_group`; PATH search misses and a "resumed"
 * exit included) split into its steps, and medians over several traces.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { medianTimeline, timelineOf, type TimelineStep } from '../../bench/timeline.js';

const trace = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'bench', 'fresh-n8.strace'), 'utf8');

describe('timelineOf', () => {
  const steps = timelineOf(trace);

  it('alternates node and the processes it waited for, side by side ones as one step', () => {
    expect(steps.map((step) => step.what)).toEqual([
      'node',
      'flock --exclusive --nonblock 3',
      'node',
      'ip -j -d -N -batch - ‖ ip -j -N -6 rule show',
      'node',
      'ip -4 -batch -',
      'node',
      'ip -j -d -N -batch - ‖ ip -j -N -6 rule show',
      'node',
      'ip -j -N -force -batch -',
      'node',
    ]);
  });

  it('the steps add up to the run, from node’s exec to its exit_group (18:48:49.444811 → .892880)', () => {
    expect(steps.reduce((sum, step) => sum + step.ms, 0)).toBeCloseTo(448.069, 2);
    // node's start until flock's exec; flock's exec until its exit.
    expect(steps[0]!.ms).toBeCloseTo(640.901 - 444.811, 2);
    expect(steps[1]!.ms).toBeCloseTo(649.374 - 640.901, 2);
    // The verify read: from the first exec to the later of the two exit_group calls (the
    // other's, split by strace into "unfinished" and "resumed", counts from its call).
    expect(steps[7]!.ms).toBeCloseTo(806.453 - 776.16, 2);
  });

  it('a trace with no run in it has no steps', () => {
    expect(timelineOf('')).toEqual([]);
  });
});

describe('medianTimeline', () => {
  const run = (...ms: number[]): TimelineStep[] => ms.map((value, i) => ({ what: i % 2 ? 'ip' : 'node', ms: value }));

  it('takes the median of each step over the traces of the most common shape, and says how many', () => {
    const { steps, used } = medianTimeline([run(10, 2, 5), run(30, 4, 1), run(20, 3, 3), run(99, 1, 1, 1, 99)]);
    expect(used).toBe(3);
    expect(steps).toEqual([
      { what: 'node', ms: 20 },
      { what: 'ip', ms: 3 },
      { what: 'node', ms: 3 },
    ]);
  });
});
