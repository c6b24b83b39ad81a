/**
 * After multinic changed the network owner's files on the running system: make the owner's
 * runtime configuration match them, without reconfiguring anything now.
 *
 * netplan's YAML is read only by `netplan generate` (at boot, and inside `netplan apply`),
 * which writes the networkd files under /run/systemd/network. Until it runs again, a
 * `networkctl reload` / `networkctl reconfigure` (or anything else that makes networkd
 * configure a link again) applies the files generated before multinic wrote its own, and
 * networkd removes the routing policy rules and routes it does not know
 * (ManageForeignRoutingPolicyRules= and ManageForeignRoutes= default to yes): every NIC but
 * the primary stops answering. Found by the VM suite (issue 13, scenario 7).
 * `netplan generate` only writes files; networkd reads them at its next reload.
 */
import { runCommand, type Run } from '../kernel/run.js';
import type { WriteReport } from './write.js';

/**
 * Silent on failure: a netplan that cannot generate fails the next boot anyway, and every
 * byte here counts (the whole bundle must fit in Nova's user_data, user-data-embedded.yaml).
 */
export async function activatePersisted(
  backend: string,
  root: string,
  report: WriteReport,
  run: Run = runCommand,
): Promise<void> {
  // An image tree (--root DIR) generates at its own boot; only the live system needs it now.
  if (root === '/' && backend === 'netplan' && report.written.length + report.removed.length)
    await run('netplan', ['generate']).catch(() => undefined);
  // NetworkManager keeps connection profiles in memory (monitor-connection-files is off):
  // reload makes it read the files, without reactivating any device.
  if (root === '/' && backend === 'networkmanager' && report.written.length + report.removed.length)
    await run('nmcli', ['connection', 'reload']).catch(() => undefined);
}
