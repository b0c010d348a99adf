import { ConfigError } from "../../sim/core/errors.js";
import type { TransmissionConfig } from "./config.js";
import { resolvePersona, type Persona } from "./personas.js";
import {
  INITIAL_PROMPTS,
  LAYOUTS,
  resolveTemplate,
  TRANSFORMATIONS,
  type Template,
} from "./transformations.js";

/**
 * The telephone prompts as generation-1 instructions: TelephoneGameLLM's prompt_init.json holds the
 * same rephrase, inspiration and continue texts as its prompt_update.json, and a telephone chain's
 * first message is one of them with the seed glued on.
 */
const TELEPHONE_INITIALS: Record<string, string> = {
  ...INITIAL_PROMPTS,
  ...Object.fromEntries(
    Object.entries(TRANSFORMATIONS).filter(([name]) => name.startsWith("telephone-")),
  ),
};

/** What an agent slot writes with: its persona, group and templates. */
export interface SlotSetup {
  persona: Persona;
  group: string | null;
  initial: Template;
  transformation: Template;
  layout: Template;
}

/**
 * Every slot's setup, in population order: personaList beats the slot's group, which beats the
 * section's defaults. Throws a ConfigError naming the field of a bad name or a size mismatch.
 */
export function slotSetups(section: TransmissionConfig, size: number): SlotSetup[] {
  const groupOf: (number | null)[] = [];
  section.groups.forEach((g, i) => groupOf.push(...Array<number>(g.size).fill(i)));
  if (section.groups.length > 0 && groupOf.length !== size)
    throw new ConfigError(
      "transmission.groups",
      section.groups.map((g) => g.size),
      `group sizes adding up to population.size (${size}); they add up to ${groupOf.length}`,
    );
  if (section.personaList && section.personaList.length !== size)
    throw new ConfigError(
      "transmission.personaList",
      `${section.personaList.length} personas`,
      `one persona per agent (${size})`,
    );
  return Array.from({ length: size }, (_, i) => {
    const g = groupOf[i] ?? null;
    const group = g === null ? undefined : section.groups[g]!;
    const at = (key: string, fallback: string) =>
      group?.[key as "persona"] !== undefined ? `transmission.groups.${g}.${key}` : fallback;
    const personaValue = section.personaList?.[i] ?? group?.persona ?? section.persona;
    const personaPath = section.personaList
      ? `transmission.personaList.${i}`
      : at("persona", "transmission.persona");
    return {
      persona: resolvePersona(personaValue, section.personas, personaPath),
      group: group?.name ?? null,
      initial: resolveTemplate(
        group?.initial ?? section.initial,
        section.initials,
        section.chainPrompt === "telephone" ? TELEPHONE_INITIALS : INITIAL_PROMPTS,
        at("initial", "transmission.initial"),
      ),
      transformation: resolveTemplate(
        group?.transformation ?? section.transformation,
        section.transformations,
        TRANSFORMATIONS,
        at("transformation", "transmission.transformation"),
      ),
      layout: resolveTemplate(
        group?.layout ?? section.layout,
        {},
        LAYOUTS,
        at("layout", "transmission.layout"),
      ),
    };
  });
}
