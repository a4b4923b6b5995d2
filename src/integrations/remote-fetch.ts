/**
 * One bounded HTTP(S) request to another server (a token introspection endpoint, a client metadata
 * document): a deadline over the whole exchange, a cap on the body, redirects refused, and, unless
 * allowed, no connection to a private, loopback or link-local address (checked on the addresses the
 * connection really uses, so a DNS answer cannot slip one in).
 * @module
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { RemoteFetchError } from '../errors.js';

/** What {@link remoteRequest} sends. */
export interface RemoteRequest {
  readonly url: URL;
  readonly method?: 'GET' | 'POST' | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: string | undefined;
  /** Deadline of the whole exchange, connection to last byte. */
  readonly timeoutMs: number;
  /** Largest body accepted, in bytes. */
  readonly maxBytes: number;
  /** Allow private, loopback and link-local addresses (tests, a trusted internal server). */
  readonly allowPrivateAddresses: boolean;
  /** Certificate authorities trusted for https, instead of Node's (an internal PKI, tests). */
  readonly ca?: string | Buffer | undefined;
}

/** What came back: the status, the headers and the body as text. */
export interface RemoteResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv6');
}

/** `true` for an address no public server has: private, loopback, link-local, multicast, reserved. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family !== 6) return true; // not an address: refuse
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4');
  return PRIVATE.check(address, 'ipv6');
}

/** Sends the request; a refusal or failure is a {@link RemoteFetchError} naming the host only. */
export function remoteRequest(req: RemoteRequest): Promise<RemoteResponse> {
  const { url } = req;
  const host = url.hostname;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return Promise.reject(new RemoteFetchError('invalid', `Only http(s) URLs are fetched (${host})`));
  }
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  if (!req.allowPrivateAddresses && isIP(literal) !== 0 && isPrivateAddress(literal)) {
    return Promise.reject(new RemoteFetchError('address', `${host} is a private or loopback address`));
  }
  const guardedLookup = (
    hostname: string,
    options: { all?: boolean },
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = !req.allowPrivateAddresses && addresses.some((a) => isPrivateAddress(a.address));
      if (refused) {
        return callback(new RemoteFetchError('address', `${hostname} resolves to a private address`), []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (first === undefined) return callback(new Error('no address'), []);
      callback(null, first.address, first.family);
    });
  };
  return new Promise<RemoteResponse>((resolve, reject) => {
    let settled = false;
    const fail = (err: RemoteFetchError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(err);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(url, {
      method: req.method ?? 'GET',
      headers: { accept: 'application/json', ...req.headers },
      lookup: guardedLookup as never,
      ...(req.ca !== undefined && url.protocol === 'https:' ? { ca: req.ca } : {}),
    });
    const timer = setTimeout(
      () => fail(new RemoteFetchError('timeout', `${host} did not answer within ${req.timeoutMs} ms`)),
      req.timeoutMs,
    );
    request.on('error', (err) => {
      if (err instanceof RemoteFetchError) return fail(err);
      fail(new RemoteFetchError('network', `${host} could not be reached`, { cause: err }));
    });
    request.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        return fail(new RemoteFetchError('redirect', `${host} answered with a redirect, not followed`));
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > req.maxBytes) {
        return fail(new RemoteFetchError('too-large', `${host} sent more than ${req.maxBytes} bytes`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > req.maxBytes) {
          return fail(new RemoteFetchError('too-large', `${host} sent more than ${req.maxBytes} bytes`));
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => fail(new RemoteFetchError('network', `${host} broke off`, { cause: err })));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    request.end(req.body);
  });
}
