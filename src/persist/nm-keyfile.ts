/**
 * multinic's additions to a NetworkManager keyfile it did not write (cloud-init's
 * `cloud-init-<if>.nmconnection`, an admin's bond or VLAN connection): NetworkManager
 * applies the routes and rules of the connection that is active on a device, and a second
 * connection for the same device would never be active beside it (issue 14: "the
 * connection that owns it"). So multinic's `routeN`, `routeN_options` and `routing-ruleN`
 * go into the owner's [ipv4]/[ipv6] sections, as whole lines between two comment lines of
 * its own, and nothing else in the file changes: taking the block back out gives the
 * owner's file byte for byte (GKeyFile, NM's reader, skips `#` lines). Pure.
 */
import type { RouteSpec, RuleSpec } from '../plan/types.js';
import { destinationOf } from './routes.js';

export const NM_BLOCK_BEGIN =
  '# multinic begin: policy routing added by multinic apply; a later run rewrites or removes these lines';
export const NM_BLOCK_END = '# multinic end';

export type NmFamilySection = 'ipv4' | 'ipv6';

/** The [begin, end] line pairs of multinic's blocks; a begin without its end is not a block (someone edited it). */
function blocks(lines: string[]): [number, number][] {
  const found: [number, number][] = [];
  for (let index = 0; index < lines.length; index++) {
    if (!lines[index]?.startsWith('# multinic begin')) continue;
    const end = lines.findIndex((line, at) => at > index && line.trimEnd() === NM_BLOCK_END);
    if (end < 0) break;
    found.push([index, end]);
    index = end;
  }
  return found;
}

export function hasMultinicBlock(text: string): boolean {
  return blocks(text.split('\n')).length > 0;
}

/** The keyfile without multinic's blocks: what the owner wrote, byte for byte. */
export function takeBackMultinic(text: string): string {
  const lines = text.split('\n');
  const drop = new Set<number>();
  for (const [begin, end] of blocks(lines)) for (let index = begin; index <= end; index++) drop.add(index);
  return lines.filter((_line, index) => !drop.has(index)).join('\n');
}

/** Where a [section] starts and ends (the next header), or undefined. */
function sectionRange(lines: string[], section: string): { header: number; end: number } | undefined {
  const header = lines.findIndex((line) => line.trim() === `[${section}]`);
  if (header < 0) return undefined;
  const next = lines.findIndex((line, at) => at > header && line.trim().startsWith('['));
  return { header, end: next < 0 ? lines.length : next };
}

/** The highest N of `<key>N=` in a section (0 if none), so multinic's numbers follow the owner's. */
export function highestIndex(text: string, section: NmFamilySection, keys: readonly string[]): number {
  const lines = text.split('\n');
  const range = sectionRange(lines, section);
  if (!range) return 0;
  let highest = 0;
  const pattern = new RegExp(`^(?:${keys.join('|')})(\\d+)\\s*=`);
  for (const line of lines.slice(range.header + 1, range.end)) {
    const number = pattern.exec(line.trim())?.[1];
    if (number !== undefined) highest = Math.max(highest, Number(number));
  }
  return highest;
}

/**
 * The owner's keyfile (already without multinic's old blocks) with one block per family
 * at the end of its [ipv4]/[ipv6] section (after its last line, before the blank lines
 * that end it), or, where the owner has no such section, the section itself inside the
 * block at the end of the file.
 */
export function joinMultinic(text: string, additions: { section: NmFamilySection; lines: string[] }[]): string {
  const lines = text.split('\n');
  for (const { section, lines: body } of additions) {
    if (body.length === 0) continue;
    const range = sectionRange(lines, section);
    if (range) {
      let last = range.end - 1;
      while (last > range.header && (lines[last] ?? '').trim() === '') last--;
      lines.splice(last + 1, 0, NM_BLOCK_BEGIN, ...body, NM_BLOCK_END);
    } else {
      const at = lines.length > 0 && lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
      lines.splice(at, 0, NM_BLOCK_BEGIN, `[${section}]`, ...body, NM_BLOCK_END);
    }
  }
  return lines.join('\n');
}

/** A rule in NetworkManager's routing-rule syntax (suppress_prefixlength: NM 1.20 or later; NM needs the priority). */
export function nmRule(rule: RuleSpec): string {
  return [
    `priority ${rule.priority}`,
    `from ${rule.from}`,
    ...(rule.to ? [`to ${rule.to}`] : []),
    `table ${rule.table}`,
    ...(rule.suppressPrefixlength !== undefined ? [`suppress_prefixlength ${rule.suppressPrefixlength}`] : []),
  ].join(' ');
}

/** routeN/routeN_options (table=, src=) and routing-ruleN lines of one family, numbered from the given starts. */
export function nmRoutingLines(
  family: 4 | 6,
  routes: RouteSpec[],
  rules: RuleSpec[],
  start: { route: number; rule: number },
): string[] {
  const lines: string[] = [];
  routes
    .filter((route) => route.family === family)
    .forEach((route, index) => {
      const dst = destinationOf(route);
      lines.push(`route${start.route + index}=${dst}${route.via ? `,${route.via}` : ''}`);
      lines.push(
        `route${start.route + index}_options=${[`table=${route.table}`, ...(route.src ? [`src=${route.src}`] : [])].join(',')}`,
      );
    });
  rules
    .filter((rule) => rule.family === family)
    .forEach((rule, index) => lines.push(`routing-rule${start.rule + index}=${nmRule(rule)}`));
  return lines;
}

/** How many routes and routing rules each family section of a keyfile holds (to check nmcli kept them all). */
export function countRouting(text: string): Record<NmFamilySection, { routes: number; rules: number }> {
  const lines = text.split('\n');
  const count = (section: NmFamilySection) => {
    const range = sectionRange(lines, section);
    const body = range ? lines.slice(range.header + 1, range.end).map((line) => line.trim()) : [];
    return {
      routes: body.filter((line) => /^routes?\d*\s*=/.test(line)).length,
      rules: body.filter((line) => /^routing-rule\d+\s*=/.test(line)).length,
    };
  };
  return { ipv4: count('ipv4'), ipv6: count('ipv6') };
}
