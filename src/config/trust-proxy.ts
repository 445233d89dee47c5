import { isIP } from 'node:net';

/**
 * Which reverse proxies may set the client address through `X-Forwarded-For` (`FACEGATE_TRUST_PROXY`).
 * The client address drives the lockout, the rate limits and the audit log, so trusting every hop would let any
 * client choose it: only a hop count or a list of proxy addresses is accepted.
 */
export type TrustProxy =
  | { kind: 'none' }
  /** The last `hops` senders (the socket peer first) are proxies; the address before them is the client. */
  | { kind: 'hops'; hops: number }
  /** Proxy addresses or CIDRs (IPv4/IPv6), or proxy-addr's `loopback`, `linklocal`, `uniquelocal`. */
  | { kind: 'list'; cidrs: string[] };

const MAX_HOPS = 32;
const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** Error text for `FACEGATE_TRUST_PROXY=true`, saying what to write instead. */
export const TRUST_PROXY_TRUE_REFUSED =
  'FACEGATE_TRUST_PROXY=true would trust every hop, so any client could choose its own address with ' +
  'X-Forwarded-For; write the number of proxies in front of facegate (e.g. 1 for one reverse proxy) or their ' +
  'addresses/CIDRs (e.g. 10.0.0.5,fd00::/8)';

/** True for an IPv4/IPv6 address, optionally with a prefix length in range. */
function isAddressOrCidr(entry: string): boolean {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) return false;
  if (slash < 0) return true;
  const prefix = entry.slice(slash + 1);
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Parses `FACEGATE_TRUST_PROXY`: unset, `false` or `0` → none; a positive integer → hop count; otherwise a
 * comma-separated list of addresses/CIDRs. Returns the setting or the problem to report.
 */
export function parseTrustProxy(raw: string | undefined): { value: TrustProxy } | { problem: string } {
  const text = raw?.trim() ?? '';
  const lower = text.toLowerCase();
  if (lower === '' || lower === 'false' || lower === '0') return { value: { kind: 'none' } };
  if (['true', 'yes', 'on', '*'].includes(lower)) return { problem: TRUST_PROXY_TRUE_REFUSED };
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    return hops <= MAX_HOPS
      ? { value: { kind: 'hops', hops } }
      : { problem: `FACEGATE_TRUST_PROXY must be a hop count in [1, ${MAX_HOPS}], got "${text}"` };
  }
  const cidrs = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = cidrs.filter((entry) => !NAMED_RANGES.includes(entry) && !isAddressOrCidr(entry));
  if (cidrs.length === 0 || bad.length > 0) {
    return {
      problem:
        'FACEGATE_TRUST_PROXY must be false, a hop count (e.g. 1) or a comma-separated list of proxy ' +
        `addresses/CIDRs (e.g. 10.0.0.5,fd00::/8); not an address: "${bad.join('", "')}"`,
    };
  }
  return { value: { kind: 'list', cidrs } };
}

/**
 * The setting as Fastify's `trustProxy` option takes it. A hop count becomes a function: Fastify 5 reads a bare
 * number as "trust nothing", while proxy-addr calls the function with each sender, the socket peer as hop 0.
 */
export function fastifyTrustProxy(
  setting: TrustProxy,
): false | string[] | ((address: string, hop: number) => boolean) {
  switch (setting.kind) {
    case 'none':
      return false;
    case 'hops': {
      const { hops } = setting;
      return (_address, hop) => hop < hops;
    }
    case 'list':
      return [...setting.cidrs];
  }
}
