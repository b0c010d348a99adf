import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/**
 * Compares a presented token with the expected one in constant time. No token set: anything passes.
 */
export function tokenMatches(expected: string | undefined, given: unknown): boolean {
  if (expected === undefined) return true;
  if (typeof given !== "string") return false;
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(expected), digest(given));
}

/** The token of an HTTP request: `Authorization: Bearer T`, else `?token=T`. */
export function requestToken(headers: IncomingHttpHeaders, url: URL): string | undefined {
  const auth = headers.authorization;
  if (auth) {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (match) return match[1];
  }
  return url.searchParams.get("token") ?? undefined;
}

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

export function isLoopbackHost(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  return (
    LOOPBACK_NAMES.has(name) || name.endsWith(".localhost") || /^127\.\d+\.\d+\.\d+$/.test(name)
  );
}

/**
 * The hostname of a Host header or origin ("[::1]:7420" → "[::1]", "localhost:7420" → "localhost").
 */
function hostnameOf(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  return host.split(":")[0] ?? host;
}

/**
 * Browser-facing checks for the API and socket handshakes (a page on another site must not drive a
 * local run): the request's Origin, when a browser sends one, must be the server's own origin or a
 * loopback one (the viewer's dev server); and a server bound to loopback only answers Host headers
 * naming loopback (which defeats DNS rebinding). Non-browser clients send no Origin.
 */
export function browserRequestAllowed(
  headers: IncomingHttpHeaders,
  serverIsLoopback: boolean,
): boolean {
  const host = headers.host;
  if (serverIsLoopback && host !== undefined && !isLoopbackHost(hostnameOf(host))) return false;
  const origin = headers.origin;
  if (origin === undefined || origin === "") return true;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false;
  }
  if (host !== undefined && originHost.toLowerCase() === host.toLowerCase()) return true;
  return (
    isLoopbackHost(hostnameOf(originHost)) &&
    (host === undefined || isLoopbackHost(hostnameOf(host)))
  );
}
