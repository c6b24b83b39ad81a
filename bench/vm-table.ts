/**
 * The in-guest table of BENCHMARKS.md (issue 13), from bench/vm-results.json, which the VM
 * suite writes when run with MULTINIC_VM_RESULTS=bench/vm-results.json. Pure.
 */
export interface VmResults {
  measuredAt: string;
  accel: string;
  commit?: string;
  results: Record<string, Record<string, number | string>>;
}

const ROWS: [key: string, label: string][] = [
  ['baselineNetworkOnlineSeconds', 'without multinic: network-online.target after power-on (s, guest clock)'],
  ['baselinePrimaryAnswersSeconds', 'without multinic: primary address answers the client after power-on (s)'],
  ['baselineRepliesLostOf50', 'without multinic: echo replies lost, of 50 (10 to each of the 5 addresses)'],
  ['firstBootNetworkOnlineSeconds', 'first boot: network-online.target (s, guest clock)'],
  ['firstBootServiceSeconds', 'first boot: multinic.service, start to finish (s)'],
  ['firstBootServiceCpuSeconds', 'first boot: multinic.service CPU (s)'],
  ['firstBootAllAnswerSeconds', 'first boot: every address answers the client after power-on (s)'],
  ['attachAnswerSeconds', 'attach: the new port answers, after device_add (s)'],
  ['hotplugRunSeconds', 'attach: multinic@ run, start to finish (s)'],
  ['hotplugRunCpuSeconds', 'attach: multinic@ run CPU (s)'],
  ['hotplugWaitCpuFraction', 'attach, metadata late: CPU per second of waiting (fraction of a CPU)'],
  ['waitingHotplugRunSeconds', 'attach, metadata held through 30 s of the wait: multinic@ run (s)'],
  ['waitingHotplugRunCpuSeconds', 'attach, metadata held through 30 s of the wait: multinic@ run CPU (s)'],
  ['secondBootNetworkOnlineSeconds', 'boot after the attach: network-online.target (s, guest clock)'],
  ['secondBootServiceSeconds', 'boot after the attach: multinic.service (s)'],
  ['secondBootServiceCpuSeconds', 'boot after the attach: multinic.service CPU (s)'],
  ['secondBootAllAnswerSeconds', 'boot after the attach: every address answers after power-on (s)'],
];

const cell = (value: number | string | undefined): string =>
  typeof value === 'number' ? (value < 1 ? value.toFixed(2) : value.toFixed(1)) : '–';

export function renderVmTable(doc: VmResults): string {
  const flavours = Object.keys(doc.results);
  const lines = [
    '## In a real guest (issue 13: test/vm, Debian 12 under QEMU)',
    '',
    `Measured by the VM suite (\`MULTINIC_VM_RESULTS=bench/vm-results.json CI=true npx vitest run test/vm\`) on ${doc.measuredAt}${doc.commit ? ` at ${doc.commit}` : ''}.`,
    `**The guest is emulated (${doc.accel.toUpperCase()}, no KVM), on a shared 2-core machine: every absolute time here is many`,
    'times what it is on real hardware, and only the comparisons between rows mean something.**',
    'Times "after power-on" are taken from the host (QEMU started → the client gets an answer); guest-clock',
    "times are systemd's monotonic stamps (from kernel start).",
    '',
    `| | ${flavours.join(' | ')} |`,
    `|---|${flavours.map(() => '---:').join('|')}|`,
  ];
  for (const [key, label] of ROWS) {
    if (!flavours.some((flavour) => typeof doc.results[flavour]?.[key] === 'number')) continue;
    lines.push(`| ${label} | ${flavours.map((flavour) => cell(doc.results[flavour]?.[key])).join(' | ')} |`);
  }
  for (const flavour of flavours) {
    const chain = doc.results[flavour]?.firstBootCriticalChain;
    if (typeof chain !== 'string') continue;
    lines.push(
      '',
      `\`systemd-analyze critical-chain network-online.target\`, first boot, ${flavour}:`,
      '',
      '```',
      chain.trim(),
      '```',
    );
  }
  return `${lines.join('\n')}\n`;
}
