/**
 * Reading a contribution answer ("Justification: ... Answer: <amount>"). The same rules read LLM
 * and policy answers; the label, number and JSON readers are the public toolkit's.
 *
 * 1. A reply that is, whole, a JSON object with an "amount" field (what a profile with
 * `responseFormat: json_schema` returns) is read from its fields: "amount" must be a JSON number,
 *    "justification" (a string) is the justification. Then rule 5.
 * 2. Otherwise the answer is the text after the LAST "Answer:" label (case-insensitive; markdown
 * such
 *    as "**Answer:**", "### Answer:" and "Answer -" is accepted). No label: unusable. The
 *    justification is the text before that label, minus a leading "Justification:" label.
 * 3. The amount is the first number of the answer: "5", "7.5", "**5**", "$5", "5 units". "1,000"
 * has a thousands separator; "2,5" is 2.5 when the answer has no other digit group (otherwise the
 *    comma separates items: 2). "1/2" is half a unit. "50%" and "50 percent" are that share of the
 *    endowment. A minus sign makes it negative (out of range). Number words ("five") are not read.
 *    No number, or a fraction over zero: unusable.
 * 4. (Rule 5 above) The amount must lie in [0, endowment] (tolerance 1e-9, snapped onto the
 * bounds).
 * Outside it the answer is unusable with `outOfRange: reject`, or clamped with `outOfRange: clamp`.
 */
import {
  quoteReply,
  readAmount,
  splitAtLastLabel,
  stripLeadingLabel,
  wholeJsonObject,
} from "../../sim/index.js";

export type ContributionOutcome =
  | { ok: true; amount: number; justification: string; clamped: boolean }
  | { ok: false; reason: string };

export interface ContributionRules {
  endowment: number;
  outOfRange: "reject" | "clamp";
}

const TOLERANCE = 1e-9;

function inRange(
  raw: number,
  justification: string,
  quoted: string,
  rules: ContributionRules,
): ContributionOutcome {
  const outside = raw < -TOLERANCE || raw > rules.endowment + TOLERANCE;
  if (outside && rules.outOfRange === "reject") {
    const problem = raw < 0 ? "is negative" : `exceeds the endowment ${rules.endowment}`;
    return { ok: false, reason: `amount ${raw} ${problem} in answer ${quoteReply(quoted)}` };
  }
  return {
    ok: true,
    amount: Math.min(Math.max(raw, 0), rules.endowment),
    justification,
    clamped: outside,
  };
}

export function parseContribution(text: string, rules: ContributionRules): ContributionOutcome {
  const json = wholeJsonObject(text);
  if (json && "amount" in json) {
    const justification = typeof json.justification === "string" ? json.justification.trim() : "";
    if (typeof json.amount !== "number" || !Number.isFinite(json.amount)) {
      return {
        ok: false,
        reason: `amount ${JSON.stringify(json.amount)} is not a number in answer ${quoteReply(text)}`,
      };
    }
    return inRange(json.amount, justification, text, rules);
  }
  const parts = splitAtLastLabel(text, "answer");
  if (!parts) return { ok: false, reason: `no 'Answer:' label in response ${quoteReply(text)}` };
  const justification = stripLeadingLabel(parts.before, "justification");
  const reading = readAmount(parts.after, { percentOf: rules.endowment });
  if (!reading.ok) {
    const problem = reading.problem === "no number" ? "no amount" : "a fraction over zero";
    return { ok: false, reason: `${problem} in answer ${quoteReply(parts.after)}` };
  }
  return inRange(reading.value, justification, parts.after, rules);
}
