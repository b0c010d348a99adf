/**
 * Preloaded with --import in a child process: appends the name of every package the process
 * resolves, once each, to the file named by AGORA_LOADED_PACKAGES (what a run loads).
 */
import { register } from "node:module";
import process from "node:process";

const hooks = `
import { appendFileSync } from "node:fs";
const seen = new Set();
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const inside = resolved.url.split("/node_modules/").at(-1);
  if (inside !== resolved.url) {
    const parts = inside.split("/");
    const name = parts[0].startsWith("@") ? parts[0] + "/" + parts[1] : parts[0];
    if (!seen.has(name)) {
      seen.add(name);
      appendFileSync(${JSON.stringify(process.env.AGORA_LOADED_PACKAGES ?? "")}, name + "\\n");
    }
  }
  return resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
