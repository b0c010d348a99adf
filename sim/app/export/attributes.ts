import type { AgentInfo } from "../../core/events.js";

/**
 * What every export format can hold as an attribute value: GEXF, GraphML and networkx have no
 * nested values, so objects and lists are written as JSON text or joined, and null is left out.
 */
export type Scalar = string | number | boolean;
export type Attributes = Record<string, Scalar>;

/** Joins a list of agent ids into one attribute value ("" for none). */
export const joinIds = (ids: readonly string[]): string => ids.join(";");

/** Who an agent is: the fields of its agent-created event, named as agents.jsonl names them. */
export function agentAttributes(agent: AgentInfo): Attributes {
  return {
    label: agent.id,
    generation: agent.generation,
    parents: joinIds(agent.parents),
    mindKind: agent.mind.kind,
    mind: agent.mind.name,
    ...(agent.mind.model !== undefined ? { model: agent.mind.model } : {}),
    ...(agent.mind.params !== undefined ? { params: JSON.stringify(agent.mind.params) } : {}),
    slot: agent.slot,
    ...(agent.role !== undefined ? { role: agent.role } : {}),
  };
}

/**
 * agents.jsonl columns every scenario writes, which agentAttributes already gives from the
 * agent-created event (agents.jsonl's `born` is the event's `generation`).
 */
const IDENTITY_COLUMNS = new Set([
  "generation",
  "agentId",
  "slot",
  "born",
  "mindKind",
  "mind",
  "params",
  "parents",
]);

/**
 * An agent as the run left it: who it is, its strategy texts whole, and the scalar columns of its
 * last agents.jsonl row (score, rank, survived... per scenario), which override the agent-created
 * values (a revised strategy). A null column removes the attribute: the agent ended without it.
 */
export function finalAgentAttributes(
  agent: AgentInfo,
  lastRow: Record<string, unknown> | undefined,
): Attributes {
  const attributes: Attributes = agentAttributes(agent);
  for (const key of ["strategy", "strategyUnusable", "reasoning"] as const) {
    const value = agent[key];
    if (typeof value === "string") attributes[key] = value;
  }
  if (!lastRow) return attributes;
  if (typeof lastRow.generation === "number") attributes.lastGeneration = lastRow.generation;
  for (const [key, value] of Object.entries(lastRow)) {
    if (IDENTITY_COLUMNS.has(key)) continue;
    if (value === null) delete attributes[key];
    else if (isScalar(value)) attributes[key] = value;
  }
  return attributes;
}

export function isScalar(value: unknown): value is Scalar {
  return (
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && Number.isFinite(value))
  );
}

// Characters XML 1.0 cannot carry even escaped (control characters, lone surrogates).
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text an XML file can hold: characters XML forbids become U+FFFD. */
export const xmlSafe = (text: string): string => text.replace(NOT_XML, "\uFFFD");
