/**
 * `--persist auto`: which network manager owns the guest's network, from facts read under
 * --root. Pure. The order is the one in which a stack wraps another: netplan renders
 * for networkd or NetworkManager, so its files win; then a running NetworkManager, a
 * running networkd, RHEL's ifcfg files, and Debian's /etc/network/interfaces.
 */
import type { Backend } from './types.js';

export interface OwnerFacts {
  netplanYaml: boolean;
  networkManagerRunning: boolean;
  networkdRunning: boolean;
  ifcfgFiles: boolean;
  ifupdownInterfaces: boolean;
}

export function detectOwner(facts: OwnerFacts): { backend: Backend | 'none'; why: string } {
  if (facts.netplanYaml) return { backend: 'netplan', why: '/etc/netplan has configuration' };
  if (facts.networkManagerRunning) return { backend: 'networkmanager', why: 'NetworkManager is running (/run/NetworkManager)' };
  if (facts.networkdRunning) return { backend: 'networkd', why: 'systemd-networkd is running (/run/systemd/netif)' };
  if (facts.ifcfgFiles) return { backend: 'ifcfg', why: '/etc/sysconfig/network-scripts has ifcfg files' };
  if (facts.ifupdownInterfaces) return { backend: 'ifupdown', why: '/etc/network/interfaces exists' };
  return { backend: 'none', why: 'no network manager found: nothing written (the boot unit re-applies from the cache)' };
}
