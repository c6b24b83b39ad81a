/**
 * `npm run demo`: an emulated OpenStack guest with three NICs behind Neutron-style port
 * security. Shows which addresses answer the client before and after `multinic apply`
 * runs inside the guest, then removes everything it made.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { THREE_NIC_GUEST, THREE_NIC_NETWORK_DATA, THREE_NIC_NETWORKS } from './lab/guests.js';
import { CLIENT_V4, createLab, type Lab } from './lab/lab.js';

function table(title: string, reach: Map<string, boolean>): string {
  const rows = THREE_NIC_GUEST.flatMap((nic) =>
    nic.addresses.map((cidr) => {
      const address = cidr.split('/')[0]!;
      const answered = reach.get(address) ?? false;
      return `  ${nic.name.padEnd(6)} ${nic.mac}  ${address.padEnd(15)} ${answered ? 'answers' : 'no answer'}${nic.primary ? '   (primary)' : ''}`;
    }),
  );
  const count = [...reach.values()].filter(Boolean).length;
  return [`${title}: ${count}/${reach.size} answering`, ...rows].join('\n');
}

async function demo(): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('demo: run as root (it creates network namespaces)\n');
    return 77;
  }
  process.stdout.write(
    `Building an emulated OpenStack guest (client ${CLIENT_V4}, router with metadata at 169.254.169.254, port-security bridges, guest with 3 NICs)...\n\n`,
  );
  const stateDir = await mkdtemp(join(tmpdir(), 'multinic-demo-'));
  let lab: Lab | undefined;
  const cleanup = async () => {
    await lab?.destroy();
    await rm(stateDir, { recursive: true, force: true });
  };
  const onSignal = () => {
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    lab = await createLab({ networks: THREE_NIC_NETWORKS, nics: THREE_NIC_GUEST, networkData: THREE_NIC_NETWORK_DATA });
    const before = await lab.reachability();
    process.stdout.write(`${table('Before', before)}\n\n$ multinic apply   (inside the guest)\n`);
    const result = await lab.multinic(['apply', '--persist', 'none', '--state-dir', stateDir]);
    const indent = (text: string) => text.trimEnd().replace(/^(?=.)/gm, '  ');
    process.stdout.write(`${indent(result.stderr)}\n`);
    if (result.stdout.trim()) process.stdout.write(`${indent(result.stdout)}\n`);
    if (result.exitCode !== 0) {
      process.stdout.write(`multinic apply exited ${result.exitCode}\n`);
      return 1;
    }
    const after = await lab.reachability();
    process.stdout.write(`\n${table('After', after)}\n`);
    return [...after.values()].every(Boolean) ? 0 : 1;
  } finally {
    await cleanup();
  }
}

demo().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
