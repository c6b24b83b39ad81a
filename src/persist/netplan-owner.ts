/**
 * Which netplan definition the owner's configuration (cloud-init's 50-cloud-init.yaml, an
 * admin's file) already has for an interface: its device type (ethernets, bonds, vlans...)
 * and its ID. netplan merges definitions with the same ID across files, but refuses the
 * whole configuration when one file puts an ID under another device type ("Updated
 * definition 'bond0.602' changes device type"), so multinic must write its routes under
 * the owner's type and ID (issue 14). Pure.
 *
 * A small reader of block-style YAML, enough for what netplan files hold (the yaml package
 * would cost the bundle 38 kB): keys by indentation, list items skipped. A definition it
 * cannot read (flow style) is simply not found; `netplan generate` still judges the result.
 */

export const NETPLAN_DEVICE_TYPES = [
  'ethernets',
  'bonds',
  'vlans',
  'bridges',
  'wifis',
  'tunnels',
  'vrfs',
  'modems',
  'nm-devices',
  'dummy-devices',
  'virtual-ethernets',
];

export interface NetplanDefinition {
  file: string;
  type: string;
  id: string;
  setName?: string;
  mac?: string;
}

function unquote(text: string): string {
  const trimmed = text.trim();
  if ((trimmed.startsWith('"') && trimmed.endsWith('"')) || (trimmed.startsWith("'") && trimmed.endsWith("'")))
    return trimmed.slice(1, -1);
  return trimmed;
}

export function parseNetplanDefinitions(text: string, file: string): NetplanDefinition[] {
  const definitions: NetplanDefinition[] = [];
  const stack: { indent: number; key: string }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+#.*$/, '');
    if (/^\s*(#|$)/.test(line)) continue;
    const indent = line.length - line.trimStart().length;
    const body = line.trimStart();
    if (body.startsWith('-')) continue;
    const match = /^("[^"]*"|'[^']*'|[^:\s][^:]*?)\s*:(?:\s+(.*))?$/.exec(body);
    if (!match) continue;
    const key = unquote(match[1] ?? '');
    const value = match[2] !== undefined ? unquote(match[2]) : undefined;
    while (stack.length > 0 && (stack[stack.length - 1]?.indent ?? 0) >= indent) stack.pop();
    const path = [...stack.map((entry) => entry.key), key];
    if (path[0] === 'network' && path.length === 3 && NETPLAN_DEVICE_TYPES.includes(path[1] ?? '')) {
      definitions.push({ file, type: path[1]!, id: key });
    }
    const current = definitions[definitions.length - 1];
    if (current && path[0] === 'network' && path[1] === current.type && path[2] === current.id && value) {
      if (path.length === 4 && path[3] === 'set-name') current.setName = value;
      if (path.length === 5 && path[3] === 'match' && path[4] === 'macaddress') current.mac = value.toLowerCase();
    }
    if (value === undefined || value === '') stack.push({ indent, key });
  }
  return definitions;
}

/**
 * The owner's definition of an interface: the one that names it (set-name, else the ID),
 * else an ethernet matched by its MAC. Later files override earlier ones in netplan, but
 * the device type and ID are what matter here, and those must agree across files anyway.
 */
export function findNetplanOwner(
  definitions: NetplanDefinition[],
  iface: string,
  mac: string,
): NetplanDefinition | undefined {
  return (
    definitions.find((definition) => definition.setName === iface) ??
    definitions.find(
      (definition) => definition.id === iface && (definition.setName === undefined || definition.setName === iface),
    ) ??
    definitions.find((definition) => definition.type === 'ethernets' && definition.mac === mac)
  );
}
