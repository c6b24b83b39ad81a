/** Reading a guest's systemd and journal through the agent: what the scenarios check. */
import type { Agent } from './qmp.js';

/** `systemctl show UNIT -p …` as a record. */
export async function unitProperties(
  agent: Agent,
  unit: string,
  properties: string[],
): Promise<Record<string, string>> {
  const text = await agent.must(`systemctl show ${unit} ${properties.map((p) => `-p ${p}`).join(' ')}`);
  return Object.fromEntries(
    text
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

export interface UnitRun {
  unit: string;
  /** Seconds from start to finish, from the journal's monotonic stamps. */
  seconds: number;
  /** CPU seconds systemd says it consumed (0 when it did not say). */
  cpuSeconds: number;
  ok: boolean;
}

/**
 * The runs of multinic.service and multinic@*.service in this boot, from the journal:
 * finished multinic@ units vanish from systemctl, their journal lines stay.
 */
export async function multinicRuns(agent: Agent): Promise<UnitRun[]> {
  const text = await agent
    .must(`journalctl -b -o short-monotonic --no-pager _PID=1 | grep -E 'multinic(@[^ ]*)?\\.service'`)
    .catch(() => '');
  const runs: UnitRun[] = [];
  const open = new Map<string, number>();
  for (const line of text.split('\n')) {
    const stamp = Number(/^\[\s*([\d.]+)\]/.exec(line)?.[1]);
    const unit = /(multinic(?:@[^ :]*)?\.service)/.exec(line)?.[1];
    if (!unit || Number.isNaN(stamp)) continue;
    if (line.includes(' Starting ')) open.set(unit, stamp);
    else if (/ (Finished|Failed to start) /.test(line)) {
      runs.push({ unit, seconds: stamp - (open.get(unit) ?? stamp), cpuSeconds: 0, ok: line.includes('Finished') });
      open.delete(unit);
    } else if (line.includes('Consumed')) {
      const cpu = /Consumed ((?:[\d.]+min )?[\d.]+)s CPU time/.exec(line)?.[1] ?? '0';
      const [minutes, seconds] = cpu.includes('min') ? cpu.split('min ').map(Number) : [0, Number(cpu)];
      const last = [...runs].reverse().find((run) => run.unit === unit);
      if (last) last.cpuSeconds = (minutes ?? 0) * 60 + (seconds ?? 0);
    }
  }
  return runs;
}
