/**
 * `multinic status`, the judging half: for every address the last apply made answer, is
 * its rule there, are its table's routes there, and does the kernel route replies from it
 * through its own NIC (to a far address and to its gateway)? Pure: the live state, the
 * route answers and the persisted files are read elsewhere and passed in.
 *
 * Rules and routes count as present whoever installed them: after a reboot the network
 * manager restores them from the persisted file with its own protocol (foreign), and that
 * is as good as multinic's own.
 */
import { addressPart, canonicalAddress, familyOf } from '../model/addresses.js';
import type { Family } from '../model/types.js';
import { missing, ruleText } from '../plan/describe-drift.js';
import { routeKey, ruleKey } from '../plan/diff.js';
import type { PlannedNic, RouteSpec, RoutingState } from '../plan/types.js';
import { routeAnswerKey, tableName, type RouteAnswers, type RouteQuery } from '../kernel/route-get.js';
import { OFF_LINK, probesFor } from '../kernel/verify.js';

export type StatusState = 'ok' | 'drift' | 'missing';

export interface RouteCheckResult {
  destination: string;
  /** The interface replies leave by, and the table that decided; undefined: no route. */
  dev?: string;
  table?: string;
  gateway?: string;
  ok: boolean;
}

export interface Persisted {
  backend: string;
  file: string;
}

export interface StatusRow {
  iface: string;
  mac: string;
  address: string;
  family: Family;
  table: number;
  priority: number;
  /** A rule `from ADDRESS lookup TABLE` is in the kernel (any protocol). */
  rule: boolean;
  routes: { expected: number; present: number };
  far?: RouteCheckResult;
  gateway?: RouteCheckResult;
  persisted: Persisted | null;
  state: StatusState;
  /** What differs, in words (empty when ok). */
  problems: string[];
}

export interface StatusInput {
  nics: PlannedNic[];
  desired: RoutingState;
  /** Everything live in the kernel: multinic's own and everyone else's. */
  owned: RoutingState;
  foreign: RoutingState;
  /** Interface → its addresses, as the kernel has them. */
  addresses: Map<string, string[]>;
  answers: RouteAnswers;
  persisted: (iface: string, address: string, table: number) => Persisted | null;
}

interface AddressQueries {
  nic: PlannedNic;
  address: string;
  family: Family;
  far?: string;
  gateway?: string;
}

/** What to ask the kernel for each managed address: a far destination and its gateway. */
export function statusQueries(nics: PlannedNic[], desired: RoutingState): AddressQueries[] {
  const far = new Map(
    probesFor(nics, desired)
      .filter((probe) => OFF_LINK[probe.family].includes(probe.destination))
      .map((probe) => [`${probe.iface} ${probe.address}`, probe.destination]),
  );
  return nics.flatMap((nic) =>
    nic.addresses.map((address) => {
      const family: Family = familyOf(address) ?? 4;
      const gateway = desired.routes.find(
        (route) => route.table === nic.table && route.family === family && route.dst === 'default' && route.via,
      )?.via;
      const destination = far.get(`${nic.iface} ${canonicalAddress(address)}`) ?? far.get(`${nic.iface} ${address}`);
      return { nic, address, family, ...(destination ? { far: destination } : {}), ...(gateway ? { gateway } : {}) };
    }),
  );
}

/** The `route get` queries behind statusQueries, for one batch. */
export function toRouteQueries(queries: AddressQueries[]): RouteQuery[] {
  return queries.flatMap((query) =>
    [query.far, query.gateway]
      .filter((destination): destination is string => destination !== undefined)
      .map((destination) => ({ destination, address: query.address })),
  );
}

function check(
  answers: RouteAnswers,
  destination: string,
  address: string,
  nic: PlannedNic,
  wantTable: boolean,
): RouteCheckResult {
  const answer = answers.get(routeAnswerKey(destination, address));
  const ok = answer?.dev === nic.iface && (!wantTable || Number(answer.table) === nic.table);
  return {
    destination,
    ...(answer?.dev ? { dev: answer.dev } : {}),
    ...(answer?.table ? { table: answer.table } : {}),
    ...(answer?.gateway ? { gateway: answer.gateway } : {}),
    ok,
  };
}

function describeCheck(result: RouteCheckResult): string {
  return result.dev
    ? `${result.dev}${result.gateway ? ` via ${result.gateway}` : ''} (table ${tableName(result.table)})`
    : 'nowhere (no route)';
}

export function judgeStatus(input: StatusInput): StatusRow[] {
  const present = {
    rules: new Set([...input.owned.rules, ...input.foreign.rules].map(ruleKey)),
    routes: new Set([...input.owned.routes, ...input.foreign.routes].map(routeKey)),
  };
  return statusQueries(input.nics, input.desired).map(({ nic, address, family, far, gateway }) => {
    const problems: string[] = [];
    const rules = input.desired.rules.filter(
      (rule) => rule.table === nic.table && canonicalAddress(addressPart(rule.from)) === canonicalAddress(address),
    );
    const rulePresent = rules.length > 0 && rules.every((rule) => present.rules.has(ruleKey(rule)));
    const routes: RouteSpec[] = input.desired.routes.filter(
      (route) => route.table === nic.table && route.family === family,
    );
    const routesPresent = routes.filter((route) => present.routes.has(routeKey(route))).length;
    const onInterface = (input.addresses.get(nic.iface) ?? []).some(
      (live) => canonicalAddress(live) === canonicalAddress(address),
    );
    if (!input.addresses.has(nic.iface)) problems.push(`${nic.iface} is not on the guest`);
    else if (!onInterface) problems.push(`${address} is not on ${nic.iface}`);
    if (!rulePresent) problems.push(missing(ruleText({ from: address, table: nic.table })));
    if (routesPresent < routes.length)
      problems.push(`${routes.length - routesPresent} of ${routes.length} route(s) of table ${nic.table} missing`);
    const farCheck = far ? check(input.answers, far, address, nic, true) : undefined;
    const gatewayCheck = gateway ? check(input.answers, gateway, address, nic, false) : undefined;
    if (far && farCheck && !farCheck.ok)
      problems.push(`replies to ${far} leave by ${describeCheck(farCheck)}, not ${nic.iface} (table ${nic.table})`);
    if (gateway && gatewayCheck && !gatewayCheck.ok)
      problems.push(`replies to the gateway ${gateway} leave by ${describeCheck(gatewayCheck)}, not ${nic.iface}`);
    const nothing = !rulePresent && routesPresent === 0;
    const state: StatusState =
      problems.length === 0 ? 'ok' : nothing || !input.addresses.has(nic.iface) ? 'missing' : 'drift';
    return {
      iface: nic.iface,
      mac: nic.mac,
      address,
      family,
      table: nic.table,
      priority: nic.priority,
      rule: rulePresent,
      routes: { expected: routes.length, present: routesPresent },
      ...(farCheck ? { far: farCheck } : {}),
      ...(gatewayCheck ? { gateway: gatewayCheck } : {}),
      persisted: input.persisted(nic.iface, address, nic.table),
      state,
      problems,
    };
  });
}

/** The table for people: one line per address. */
export function renderStatusTable(rows: StatusRow[]): string[] {
  const cells = rows.map((row) => [
    row.iface,
    row.mac,
    row.address,
    String(row.table),
    row.rule ? 'yes' : 'no',
    `${row.routes.present}/${row.routes.expected}`,
    [row.far, row.gateway]
      .map((result) => (result === undefined ? '-' : `${result.dev ?? 'none'}${result.ok ? '' : '!'}`))
      .join(' / '),
    row.persisted ? `${row.persisted.backend} ${row.persisted.file}` : 'not persisted',
    row.state === 'ok' ? 'ok' : `${row.state}: ${row.problems.join('; ')}`,
  ]);
  const header = ['IFACE', 'MAC', 'ADDRESS', 'TABLE', 'RULE', 'ROUTES', 'VIA (far / gw)', 'PERSISTED', 'STATE'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((line) => (line[column] ?? '').length)),
  );
  const line = (values: string[]) =>
    values
      .map((value, column) => (column === values.length - 1 ? value : value.padEnd(widths[column] ?? 0)))
      .join('  ');
  return [line(header), ...cells.map(line)];
}
