/**
 * Neutron-style port security as an nftables ruleset for the switch namespace (bridge
 * family): a frame entering the bridge from a guest port is dropped unless its Ethernet
 * source is the port's MAC and its IPv4 source, ARP sender IP or IPv6 source is one of
 * the port's addresses (0.0.0.0 for DHCP, :: for DAD, and the port's EUI-64 link-local,
 * as Neutron's allowed address pairs do). Pure.
 */
export interface PortRules {
  port: string;
  mac: string;
  ipv4: string[];
  ipv6: string[];
}

/** The EUI-64 link-local address the kernel derives from a MAC. */
export function linkLocalOf(mac: string): string {
  const bytes = mac.split(':').map((part) => parseInt(part, 16));
  bytes[0] = (bytes[0] ?? 0) ^ 0x02;
  const eui = [bytes[0], bytes[1], bytes[2], 0xff, 0xfe, bytes[3], bytes[4], bytes[5]].map((byte) =>
    (byte ?? 0).toString(16).padStart(2, '0'),
  );
  const groups = [0, 2, 4, 6].map((i) => parseInt(eui.slice(i, i + 2).join(''), 16).toString(16));
  return `fe80::${groups.join(':')}`;
}

export function renderPortSecurity(ports: PortRules[]): string {
  const lines = [
    'flush ruleset',
    'table bridge portsec {',
    '  chain forward {',
    '    type filter hook forward priority 0; policy accept;',
  ];
  for (const port of ports) lines.push(`    iifname "${port.port}" jump port_${port.port}`);
  lines.push('  }');
  for (const port of ports) {
    const v4 = ['0.0.0.0', ...port.ipv4].join(', ');
    const v6 = ['::', linkLocalOf(port.mac), ...port.ipv6].join(', ');
    lines.push(
      `  chain port_${port.port} {`,
      `    ether saddr != ${port.mac.toLowerCase()} counter drop`,
      `    ip saddr != { ${v4} } counter drop`,
      `    arp saddr ip != { ${v4} } counter drop`,
      `    ip6 saddr != { ${v6} } counter drop`,
      '  }',
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
