import type { IncomingMessage, ServerResponse } from "node:http";
import { BatchQuerySchema } from "./batch-protocol.js";
import { BatchNotReady, type BatchSource } from "./batch-state.js";
import { sendJson } from "./http.js";
import { describeIssue } from "./protocol.js";

/**
 * `GET /api/batch[?metric=NAME]` (after the origin and token checks of every /api request); 204
 * when this server serves no batch.
 */
export function batchApi(
  batch: BatchSource | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): void {
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("Allow", "GET, HEAD");
    return sendJson(res, 405, { error: "method not allowed" });
  }
  // An answer, not an error: every page asks, and a browser logs each 404 as a console error.
  if (!batch) {
    res.statusCode = 204;
    return void res.end();
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key in query) return sendJson(res, 400, { error: `${key}: given more than once` });
    query[key] = value;
  }
  const parsed = BatchQuerySchema.safeParse(query);
  if (!parsed.success) return sendJson(res, 400, { error: describeIssue(parsed.error) });
  try {
    return sendJson(res, 200, batch.state(parsed.data.metric));
  } catch (error) {
    if (error instanceof RangeError) return sendJson(res, 400, { error: error.message });
    if (error instanceof BatchNotReady) return sendJson(res, 503, { error: error.message });
    return sendJson(res, 500, { error: `could not read the batch: ${(error as Error).message}` });
  }
}
