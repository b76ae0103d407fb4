import ipaddr from 'ipaddr.js';
import { normalizeEmail } from '../accounts/user-fields.ts';

/**
 * Who a per-IP limit counts: an IPv4 address (also when it arrives IPv4-mapped, `::ffff:203.0.113.7`),
 * or an IPv6 client's /64, since one client usually holds a whole /64 and could otherwise rotate through
 * its addresses.
 */
export function clientSubject(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  return `${address.toNormalizedString().split(':').slice(0, 4).join(':')}::/64`;
}

/** Who a per-email limit counts: the address as accounts match it, trimmed and in any casing. */
export function emailSubject(email: string): string {
  return normalizeEmail(email).toLowerCase();
}
