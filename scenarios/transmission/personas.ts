import { ConfigError } from "../../sim/core/errors.js";

/**
 * Persona texts put before an agent's instruction. The non-neutral ones are LLM-Culture's
 * personality prompts verbatim (llm_culture/data/parameters/personnalities.json); "empty" is its
 * "Empty" personality, a single space, which its published runs used.
 */
export const PERSONAS: Record<string, string> = {
  neutral: "",
  empty: " ",
  creative: "For what follows, pretend that you are a very creative person.",
  "not-creative": "For what follows, pretend that you are not a very creative person.",
  positive: "For what follows, pretend that you are a very positive person. ",
  negative: "For what follows, pretend that you are a very negative person.",
  traditional: "Pretend that you come from a very traditional society.",
  secular: "Pretend that you come from a very secular society.",
  "post-modernism": "Your favorite book genre is Post-Modernism.",
  romance: "Your favorite book genre is Romance.",
  "sci-fi": "Your favorite book genre is Science-Fiction.",
};

export interface Persona {
  /** The library or config name, or null for a persona given as literal text. */
  name: string | null;
  text: string;
}

/**
 * A persona by name (the config's own `personas` first, then the library) or, failing that, the
 * text itself. A single word that names nothing is taken for a misspelt name: a ConfigError at
 * `path`.
 */
export function resolvePersona(
  value: string,
  custom: Readonly<Record<string, string>>,
  path: string,
): Persona {
  if (Object.hasOwn(custom, value)) return { name: value, text: custom[value]! };
  if (Object.hasOwn(PERSONAS, value)) return { name: value, text: PERSONAS[value]! };
  if (/^\S+$/.test(value))
    throw new ConfigError(
      path,
      value,
      `a persona name (${[...Object.keys(custom), ...Object.keys(PERSONAS)].join(", ")}) or a text of several words`,
    );
  return { name: null, text: value };
}

/** What events show as an agent's strategy: the persona's name, or its text when it has none. */
export const personaLabel = (persona: Persona): string => persona.name ?? persona.text;
