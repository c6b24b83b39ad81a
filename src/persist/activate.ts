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

/** Returns notes for what could not be done (none when all went well or nothing was needed). */
export async function activatePersisted(backend: string, root: string, report: WriteReport, run: Run = runCommand): Promise<string[]> {
  // An image tree (--root DIR) generates at its own boot; only the live system needs it now.
  if (root !== '/' || backend !== 'netplan') return [];
  if (report.written.length === 0 && report.removed.length === 0) return [];
  const result = await run('netplan', ['generate']).catch((error: unknown) => ({ exitCode: 127, stdout: '', stderr: (error as Error).message }));
  if (result.exitCode === 0) return [];
  return [`netplan generate exited ${result.exitCode} (${result.stderr.trim() || 'no message'}): networkd keeps its old configuration until the next boot or netplan apply, and a networkctl reload before then drops multinic's rules`];
}
