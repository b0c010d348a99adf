import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../../sim/core/errors.js";

const DIR = join(dirname(fileURLToPath(import.meta.url)), "prompts");
// Files end with a newline that is not part of the prompt.
const read = (file: string) => readFileSync(join(DIR, file), "utf8").replace(/\n$/, "");

/**
 * The transformation library: update instructions, Mustache templates (view: `count`, the number
 * of texts received). combine, minor-changes, repeat, maximise-difference and kid are
 * LLM-Culture's prompt_update texts verbatim; rephrase and inspiration are the "_multi" update
 * prompts of its published Darwinism / War of the Ghosts runs (their "Juste" typo included);
 * continue is ours. telephone-rephrase, telephone-inspiration and telephone-continue are the
 * telephone-game follow-up's single-text prompts (TelephoneGameLLM's prompt_update.json
 * `rephrase`, `inspiration` and `continue`, verbatim, typo included).
 */
export const TRANSFORMATIONS: Record<string, string> = Object.fromEntries(
  [
    "combine",
    "minor-changes",
    "repeat",
    "rephrase",
    "continue",
    "inspiration",
    "maximise-difference",
    "kid",
    "telephone-rephrase",
    "telephone-inspiration",
    "telephone-continue",
  ].map((name) => [name, read(`${name}.md`)]),
);

/** Initial prompts of generation 1: LLM-Culture's prompt_init texts. */
export const INITIAL_PROMPTS: Record<string, string> = Object.fromEntries(
  ["story", "simple", "kid", "100-words", "short"].map((name) => [name, read(`init-${name}.md`)]),
);

/** How persona, instruction and received texts make one user message. */
export const LAYOUTS: Record<string, string> = {
  agora: read("layout-agora.md"),
  "llm-culture": read("layout-llm-culture.md"),
};

export interface Template {
  /** The library or config name; "inline" for a template given as literal text. */
  name: string;
  template: string;
}

/**
 * A template by name (the config's own first, then the library) or, failing that, the text itself.
 * A single word that names nothing is taken for a misspelt name: a ConfigError at `path`.
 */
export function resolveTemplate(
  value: string,
  custom: Readonly<Record<string, string>>,
  library: Readonly<Record<string, string>>,
  path: string,
): Template {
  if (Object.hasOwn(custom, value)) return { name: value, template: custom[value]! };
  if (Object.hasOwn(library, value)) return { name: value, template: library[value]! };
  if (/^\S+$/.test(value))
    throw new ConfigError(
      path,
      value,
      `a name (${[...Object.keys(custom), ...Object.keys(library)].join(", ")}) or a text of several words`,
    );
  return { name: "inline", template: value };
}
