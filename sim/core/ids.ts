/**
 * Agent ids: `g<generation>-a<index>`, both counted from 1. The letters matter: an id such as
 * `1_3` is read as the number 13 by Python-based readers (`_` is a digit separator there), so
 * `1_11` and `11_1` would merge; no reader takes `g1-a11` for a number.
 */
export const agentId = (generation: number, index: number): string => `g${generation}-a${index}`;

const AGENT_ID = /^g(\d+)-a(\d+)$/;

/** The generation and index of an id made by `agentId`; null for any other string. */
export function agentIdParts(id: string): { generation: number; index: number } | null {
  const match = AGENT_ID.exec(id);
  return match ? { generation: Number(match[1]), index: Number(match[2]) } : null;
}
