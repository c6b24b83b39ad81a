/**
 * The shapes multinic reads from `ip -j`, checked before use: `ip` is trusted to answer,
 * not to answer in the shape expected (another iproute2 version, a wrapper on PATH). A
 * wrong shape is KernelCommandFailed naming the command and the JSON path, never a
 * TypeError deep in the planner.
 */
import { KernelCommandFailed } from '../errors.js';
import type { ZodMiniType } from 'zod/mini';
import * as z from '../schema/zod.js';
import type { IpRoute, IpRule } from './parse-live.js';

const text = z.optional(z.string());
const num = z.optional(z.number());

const routeSchema = z.array(
  z.looseObject({
    type: text,
    dst: text,
    gateway: text,
    via: z.optional(z.looseObject({ family: text, host: text })),
    dev: text,
    table: text,
    protocol: text,
    scope: text,
    prefsrc: text,
    metric: num,
  }),
);

const ruleSchema = z.array(z.looseObject({ priority: num, src: text, srclen: num, table: text, protocol: text }));

const addrSchema = z.array(
  z.looseObject({
    ifindex: num,
    ifname: text,
    flags: z.optional(z.array(z.string())),
    link_type: text,
    address: text,
    master: text,
    addr_info: z.optional(z.array(z.looseObject({ family: text, local: text, prefixlen: num, scope: text }))),
  }),
);

function checked<T>(schema: ZodMiniType<T>, json: unknown, command: string, what: string): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new KernelCommandFailed(
      `${command}: printed ${what} of an unexpected shape (${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, '; ')})`,
      command,
      '',
    );
  }
  return parsed.data;
}

export const checkRoutes = (json: unknown, command: string): IpRoute[] =>
  checked(routeSchema, json, command, 'a route list');
export const checkRules = (json: unknown, command: string): IpRule[] =>
  checked(ruleSchema, json, command, 'a rule list');
export const checkAddrs = (json: unknown, command: string): unknown[] =>
  checked(addrSchema, json, command, 'an address list');

/** One JSON document, or KernelCommandFailed quoting the start of what was printed. */
export function parseIpJson(stdout: string, command: string): unknown {
  const trimmed = stdout.trim();
  try {
    return JSON.parse(trimmed || '[]') as unknown;
  } catch (error) {
    throw new KernelCommandFailed(
      `${command}: printed something that is not JSON: ${trimmed.slice(0, 80)}`,
      command,
      '',
      { cause: error },
    );
  }
}
