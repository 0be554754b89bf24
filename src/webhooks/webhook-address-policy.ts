import { Injectable } from '@nestjs/common';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { AppConfig } from '../common/config/app-config.js';

/**
 * Addresses a webhook may never reach: loopback, private, shared (CGNAT), link-local (with the
 * cloud metadata endpoints 169.254.169.254 and fd00:ec2::254), multicast, reserved, and IPv4
 * translated into IPv6 (NAT64). BlockList checks IPv4-mapped IPv6 addresses against the IPv4 rules.
 */
function refusedAddresses(): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const) {
    list.addSubnet(network, prefix, 'ipv4');
  }
  for (const [network, prefix] of [
    ['::', 128],
    ['::1', 128],
    ['64:ff9b::', 96],
    ['100::', 64],
    ['2001:db8::', 32],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
  ] as const) {
    list.addSubnet(network, prefix, 'ipv6');
  }
  return list;
}

const REFUSED = refusedAddresses();

export class RefusedAddressError extends Error {
  readonly code = 'EADDRREFUSED';
}

/** The callback of net's `lookup` option, in both the single-address and the `all` form. */
type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Where webhooks may go: `https` (and `http` with WEBHOOK_ALLOW_HTTP), and never to a refused
 * address unless its host is in WEBHOOK_ALLOWED_HOSTS. Checked when a subscription is made, and
 * again at every connection, after DNS resolution, so a name that later resolves inward is refused too.
 */
@Injectable()
export class WebhookAddressPolicy {
  private readonly allowedHosts: Set<string>;

  constructor(private readonly config: AppConfig) {
    this.allowedHosts = new Set(config.webhookAllowedHosts);
  }

  /** A sentence saying why this URL cannot be a webhook, or undefined when it can. */
  async refusal(url: string): Promise<string | undefined> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'url must be an absolute URL';
    }
    const schemes = this.config.webhookAllowHttp ? ['https:', 'http:'] : ['https:'];
    if (!schemes.includes(parsed.protocol)) {
      return this.config.webhookAllowHttp ? 'url must be https:// or http://' : 'url must be https:// (http:// only where WEBHOOK_ALLOW_HTTP=true)';
    }
    if (parsed.username || parsed.password) return 'url must not carry credentials; authenticate the deliveries by their signature';
    const host = hostOf(parsed);
    if (this.allowedHosts.has(host)) return undefined;
    const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolveAll(host);
    if (typeof addresses === 'string') return `url's host ${host} does not resolve (${addresses})`;
    const refused = addresses.find((candidate) => this.refuses(candidate.address, candidate.family));
    return refused ? `url's host ${host} is or resolves to ${refused.address}, a loopback, private, link-local or reserved address` : undefined;
  }

  /** Whether a literal address in a URL's host is refused; names are checked by {@link lookup} when connecting. */
  refusesLiteral(url: URL): string | undefined {
    const host = hostOf(url);
    const family = isIP(host);
    if (family === 0 || this.allowedHosts.has(host) || !this.refuses(host, family)) return undefined;
    return host;
  }

  /** A `lookup` for net.connect that refuses what resolves to a refused address. */
  readonly lookup = (hostname: string, options: object, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const host = hostname.toLowerCase();
      const refused = this.allowedHosts.has(host) ? undefined : addresses.find((candidate) => this.refuses(candidate.address, candidate.family));
      if (refused) return callback(new RefusedAddressError(`${hostname} resolves to ${refused.address}, which webhooks may not reach`), []);
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };

  private refuses(address: string, family: number): boolean {
    return REFUSED.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}

function resolveAll(host: string): Promise<LookupAddress[] | string> {
  return new Promise((resolve) => {
    dnsLookup(host, { all: true }, (error, addresses) => resolve(error ? (error.code ?? error.message) : addresses));
  });
}
