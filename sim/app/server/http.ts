import { createReadStream, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, resolve, sep } from "node:path";
import { browserRequestAllowed, requestToken, tokenMatches } from "./auth.js";
import { batchApi } from "./batch-http.js";
import type { BatchSource } from "./batch-state.js";
import type { RunRegistry } from "./run-registry.js";

export interface HttpContext {
  registry: RunRegistry;
  /** The batch this server serves (`GET /api/batch`), if any. */
  batch?: BatchSource;
  /** The built viewer (viewer/dist). */
  staticDir: string;
  token?: string;
  serverIsLoopback: boolean;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Agora viewer not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40em; margin: 3em auto">
<h1>The Agora viewer is not built</h1>
<p>Run <code>npm run build:viewer</code> in the repository, then reload this page.
The API (<code>/api/runs</code>) and the event stream are running.</p>
</body></html>
`;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  res.end(text);
}

/** `/api/...` and the static viewer. socket.io answers its own path before this runs. */
export function createRequestHandler(
  ctx: HttpContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  const root = resolve(ctx.staticDir);
  return (req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      return sendJson(res, 400, { error: "bad request" });
    }
    const path = url.pathname;
    if (path === "/api" || path.startsWith("/api/")) return api(ctx, req, res, url);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
      return void res.end("method not allowed\n");
    }
    serveStatic(root, path, req, res);
  };
}

function api(ctx: HttpContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  if (!browserRequestAllowed(req.headers, ctx.serverIsLoopback))
    return sendJson(res, 403, { error: "forbidden origin or host" });
  if (!tokenMatches(ctx.token, requestToken(req.headers, url))) {
    res.setHeader("WWW-Authenticate", 'Bearer realm="agora"');
    return sendJson(res, 401, {
      error: "unauthorized: a valid token is required (?token= or Authorization: Bearer)",
    });
  }
  if (url.pathname === "/api/runs" || url.pathname === "/api/runs/") {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return sendJson(res, 405, { error: "method not allowed" });
    }
    try {
      return sendJson(res, 200, ctx.registry.list());
    } catch (error) {
      return sendJson(res, 500, { error: `could not list runs: ${(error as Error).message}` });
    }
  }
  if (url.pathname === "/api/batch" || url.pathname === "/api/batch/")
    return batchApi(ctx.batch, req, res, url);
  sendJson(res, 404, { error: `not found: ${url.pathname}` });
}

function serveStatic(
  root: string,
  pathname: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  let relative: string;
  try {
    relative = decodeURIComponent(pathname);
  } catch {
    return notFound(res);
  }
  if (relative.includes("\0")) return notFound(res);
  if (relative.endsWith("/")) relative += "index.html";
  const file = resolve(join(root, normalize(relative)));
  if (file !== root && !file.startsWith(root + sep)) return notFound(res);
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return notFound(res);
    size = stat.size;
  } catch {
    if (relative === "/favicon.ico") {
      // Browsers ask for it unprompted; no icon is not an error.
      res.writeHead(204, { "Cache-Control": "max-age=86400" });
      return void res.end();
    }
    if (relative === "/index.html") {
      res.writeHead(503, {
        "Content-Type": "text/html; charset=utf-8",
        "Cache-Control": "no-store",
      });
      return void res.end(req.method === "HEAD" ? undefined : NOT_BUILT);
    }
    return notFound(res);
  }
  const type = TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
  res.writeHead(200, {
    "Content-Type": type,
    "Content-Length": size,
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    // The page URL may carry ?token=: never send it on to other sites.
    "Referrer-Policy": "no-referrer",
  });
  if (req.method === "HEAD") return void res.end();
  createReadStream(file)
    .on("error", () => res.destroy())
    .pipe(res);
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
  res.end("not found\n");
}
