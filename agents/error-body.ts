/**
 * vLLM before 0.10.1 sends its errors as `{"object":"error","message":…}` without the `error`
 * wrapper the OpenAI client reads, so the client reports "400 status code (no body)" and the
 * server's words (a context overflow among them) are lost. This fetch rewraps such bodies.
 */
export function wrappingErrorBodies(base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    if (response.ok || !(response.headers.get("content-type") ?? "").includes("json"))
      return response;
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return new Response(text, response);
    }
    const flat = body as {
      error?: unknown;
      message?: unknown;
      type?: unknown;
      code?: unknown;
    } | null;
    const rewrapped =
      flat &&
      typeof flat === "object" &&
      flat.error === undefined &&
      typeof flat.message === "string"
        ? JSON.stringify({
            error: { message: flat.message, type: flat.type ?? null, code: flat.code ?? null },
          })
        : text;
    const headers = new Headers(response.headers);
    headers.delete("content-length");
    return new Response(rewrapped, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  };
}
