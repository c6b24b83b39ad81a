/**
 * Where one run's milliseconds go, from an `strace -f -tt -e trace=execve,exit_group` of it:
 * node's start until it first starts a process, then in turn the time multinic's own
 * JavaScript runs between processes ("in node") and the time the `ip` or `flock` processes
 * it waits for are alive (side by side ones make one step), and the end from the last
 * process to exit. strace stops only at those two system calls (--seccomp-bpf), so it moves
 * the figures little; they are still a little slower than an untraced run.
 */
import { summarise } from './stats.js';

export interface TimelineStep {
  /** What ran: "node" (multinic's own work), or the processes alive then, by argv. */
  what: string;
  ms: number;
}

interface Child {
  pid: string;
  argv: string;
  exec: number;
  exit: number;
}

const LINE = /^(\d+)\s+(\d\d):(\d\d):(\d\d\.\d+)\s+(.*)$/;

/** Seconds since midnight, as strace -tt prints them. */
function secondsOf(h: string, m: string, s: string): number {
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

/** A short argv: the program's name and its options, as in `ip -j -d -N -batch -`. */
function argvOf(call: string): string {
  const list = /execve\("[^"]*", \[(.*?)\]/.exec(call)?.[1] ?? '';
  return [...list.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((match) => match[1]).join(' ');
}

/**
 * The steps of the traced run (the first process in the trace). Pure: the trace's text in,
 * the steps out, in order; an empty list when the trace holds no run.
 */
export function timelineOf(trace: string): TimelineStep[] {
  let main: string | undefined;
  let start: number | undefined;
  let end: number | undefined;
  const pending = new Map<string, { at: number; argv: string }>();
  const children = new Map<string, Child>();
  for (const line of trace.split('\n')) {
    const match = LINE.exec(line);
    if (!match) continue;
    const [, pid, h, m, s, call] = match as unknown as [string, string, string, string, string, string];
    const at = secondsOf(h, m, s) * 1000;
    if (call.startsWith('execve(')) {
      // A PATH search tries each directory: only the exec that succeeded counts, whether its
      // result is on this line or on a "resumed" line after another process's.
      if (call.endsWith('= 0')) onExec(pid, at, argvOf(call));
      else if (call.includes('<unfinished ...>')) pending.set(pid, { at, argv: argvOf(call) });
    } else if (call.startsWith('<... execve resumed>') && call.endsWith('= 0')) {
      const started = pending.get(pid);
      if (started) onExec(pid, started.at, started.argv);
    } else if (call.startsWith('exit_group(')) {
      if (pid === main) end = at;
      else {
        const child = children.get(pid);
        if (child) child.exit = at;
      }
    }
  }
  function onExec(pid: string, at: number, argv: string) {
    if (main === undefined) {
      main = pid;
      start = at;
    } else if (pid !== main && !children.has(pid)) children.set(pid, { pid, argv, exec: at, exit: at });
  }
  if (start === undefined || end === undefined) return [];

  // Processes alive at the same time make one step.
  const steps: TimelineStep[] = [];
  let cursor = start;
  const sorted = [...children.values()].sort((a, b) => a.exec - b.exec);
  for (let i = 0; i < sorted.length;) {
    const group = [sorted[i]!];
    let groupEnd = sorted[i]!.exit;
    for (i++; i < sorted.length && sorted[i]!.exec <= groupEnd; i++) {
      group.push(sorted[i]!);
      groupEnd = Math.max(groupEnd, sorted[i]!.exit);
    }
    steps.push({ what: 'node', ms: group[0]!.exec - cursor });
    steps.push({ what: group.map((child) => child.argv).join(' ‖ '), ms: groupEnd - group[0]!.exec });
    cursor = groupEnd;
  }
  steps.push({ what: 'node', ms: end - cursor });
  return steps;
}

/**
 * The median of each step over several traces of the same run. Traces whose steps differ
 * from the most common sequence (a process more or less) are left out, and counted.
 */
export function medianTimeline(timelines: TimelineStep[][]): { steps: TimelineStep[]; used: number } {
  const shapeOf = (steps: TimelineStep[]) => steps.map((step) => step.what).join('\n');
  const counts = new Map<string, number>();
  for (const steps of timelines) counts.set(shapeOf(steps), (counts.get(shapeOf(steps)) ?? 0) + 1);
  const [shape] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0] ?? [''];
  const alike = timelines.filter((steps) => steps.length > 0 && shapeOf(steps) === shape);
  if (alike.length === 0) return { steps: [], used: 0 };
  const steps = alike[0]!.map((step, i) => ({
    what: step.what,
    ms: summarise(alike.map((steps) => steps[i]!.ms)).median,
  }));
  return { steps, used: alike.length };
}
