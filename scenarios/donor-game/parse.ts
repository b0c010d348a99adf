/**
 * Parsing rules for Donor Game answers ("Justification: ... Answer: ..."):
 * 1. The answer part is the text after the LAST "Answer:" label (case-insensitive; markdown such as
 *    "**Answer:**", "**Answer**:", "### Answer:" and "Answer -" is accepted). No label -> failure.
 * The justification is the text before that label, minus a leading "Justification:" label, trimmed.
 * 2. Partner choice: an answer part containing "refuse" is a refusal.
 * 3. Costly punishment: the first keyword ("donate"/"give" or "punish") sets the kind and the
 * amount is
 *    the first number after it; with no keyword, the first number is a donation.
 * 4. Amount = first number of the answer part (after the keyword, rule 3): "5", "5.5", "**5**",
 * "$5",
 * "5.0 units". "1,000" is a thousands separator; "2,5" is a decimal comma only when the answer part
 *    has no other digit group (otherwise the comma separates items: 2). "1/2" is 0.5 units; "50%",
 *    "50 %", "50 percent" are 50% of holdings; "-3" is negative (out of range). Number words
 *    ("five") are not read.
 * 5. The amount must lie in [0, holdings] (tolerance 1e-9, and up to the rounded figure the prompt
 *    showed; either way snapped onto holdings). Outside it:
 *    failure with outOfRange "reject", or clamped into range with clamped: true with "clamp", or
 *    with "no-transfer" (the released code) the amount as read with noTransfer: true: the move
 *    transfers nothing.
 * 6. No number -> failure.
 * 7. Structured answers (profile responseFormat "json_schema"): a reply that is, whole, a JSON
 * object
 *    with an "amount" field is read from its fields instead of rules 1-4 and 6: "amount" must be a
 *    JSON number (then rule 5); "action" must be "donate" or "punish" with costly punishment, and
 *    "donate" or "refuse" with partner choice (a refusal's amount is not read); "justification"
 *    (a string) is the justification. Any other reply is read by rules 1-6.
 * Classic payoff (cooperate or defect), by parseCooperation: the answer part (rule 1) is read for
 *    the first "cooperate"/"defect" word (any form: "Cooperating", "**DEFECT**"); "not", "never",
 *    "don't", "won't", "do not" or "will not" just before it turn it round ("I will not defect"
 *    cooperates); a bare "C" or "D" is accepted. Neither word -> failure. A reply that is, whole,
 *    a JSON object with a "decision" field is read from it: "cooperate" or "defect" (any case),
 *    else failure.
 * Strategies: from the first "My strategy will be" (case-insensitive) to the end is the strategy,
 * verbatim; the text before it is the justification (rule 1 label removal). Without the phrase the
 * answer is unusable (re-asked like a donation). A reply that is a JSON object with a "strategy"
 * field: its "strategy" string, trimmed and not empty, is the strategy (no phrase needed), its
 * "justification" the justification.
 */

import {
  quoteReply as quote,
  readAmount,
  splitAtLastLabel,
  stripLeadingLabel,
  wholeJsonObject,
} from "../../sim/toolkit/answers.js";

export type Punishment = "none" | "costly" | "partner-choice";
export type DonorAction =
  { kind: "donate"; amount: number } | { kind: "punish"; amount: number } | { kind: "refuse" };
/** The classic payoff's two answers (parseCooperation). */
export type ClassicAction = { kind: "cooperate" } | { kind: "defect" };
export type ParseOutcome<Action = DonorAction> =
  | { ok: true; action: Action; justification: string; clamped: boolean; noTransfer?: true }
  | { ok: false; reason: string };
/** An answer under either payoff. */
export type AnswerOutcome = ParseOutcome<DonorAction | ClassicAction>;

const TOLERANCE = 1e-9;
const STRATEGY_PHRASE = /my strategy will be/i;
const REFUSE = /\brefus/i;
const COSTLY_KEYWORD = /\b(donat|giv|punish)[a-z]*/i;

const stripJustificationLabel = (text: string): string => stripLeadingLabel(text, "justification");

export interface DonationOptions {
  punishment: Punishment;
  holdings: number;
  outOfRange: "reject" | "clamp" | "no-transfer";
  /**
   * The holdings as the prompt showed them (rounded): an answer up to that figure means everything.
   */
  shownHoldings?: number;
}

export function parseDonation(text: string, opts: DonationOptions): ParseOutcome {
  const structured = structuredReply(text, "amount");
  if (structured) return readStructuredDonation(structured, text, opts);
  const labelled = splitAtLastLabel(text, "answer");
  if (!labelled) return { ok: false, reason: `no 'Answer:' label in response ${quote(text)}` };
  const justification = stripJustificationLabel(labelled.before);
  const answer = labelled.after;

  if (opts.punishment === "partner-choice" && REFUSE.test(answer)) {
    return { ok: true, action: { kind: "refuse" }, justification, clamped: false };
  }

  let kind: "donate" | "punish" = "donate";
  let segment = answer;
  const keyword = opts.punishment === "costly" ? COSTLY_KEYWORD.exec(answer) : null;
  if (keyword) {
    kind = keyword[1]?.toLowerCase() === "punish" ? "punish" : "donate";
    segment = answer.slice(keyword.index + keyword[0].length);
  }

  const read = readAmount(segment, { percentOf: opts.holdings, context: answer });
  if (!read.ok && read.problem === "no number")
    return { ok: false, reason: `no amount in answer ${quote(answer)}` };
  if (!read.ok)
    return { ok: false, reason: `fraction with zero denominator in answer ${quote(answer)}` };
  return withinHoldings(read.value, { kind, justification }, answer, opts);
}

const COOPERATION = /\b(?:(not|never|don['’]t|won['’]t|do not|will not)\s+)?(cooperat|defect)/i;
const BARE_LETTER = /^[^a-z]*([cd])[^a-z]*$/i;

/** A classic-payoff answer: cooperate or defect (see the classic rule above). */
export function parseCooperation(text: string): ParseOutcome<ClassicAction> {
  const structured = structuredReply(text, "decision");
  if (structured) {
    const decision =
      typeof structured.decision === "string" ? structured.decision.trim().toLowerCase() : "";
    if (decision !== "cooperate" && decision !== "defect")
      return {
        ok: false,
        reason: `decision ${JSON.stringify(structured.decision)} is not "cooperate" or "defect" in answer ${quote(text)}`,
      };
    return {
      ok: true,
      action: { kind: decision },
      justification: justificationOf(structured),
      clamped: false,
    };
  }
  const labelled = splitAtLastLabel(text, "answer");
  if (!labelled) return { ok: false, reason: `no 'Answer:' label in response ${quote(text)}` };
  const justification = stripJustificationLabel(labelled.before);
  const answer = labelled.after;
  const word = COOPERATION.exec(answer);
  const letter = word ? undefined : BARE_LETTER.exec(answer)?.[1];
  if (!word && !letter)
    return { ok: false, reason: `no 'Cooperate' or 'Defect' in answer ${quote(answer)}` };
  const cooperates = word
    ? (word[2]!.toLowerCase() === "cooperat") !== (word[1] !== undefined)
    : letter!.toLowerCase() === "c";
  return {
    ok: true,
    action: { kind: cooperates ? "cooperate" : "defect" },
    justification,
    clamped: false,
  };
}

/** Rule 5: the amount read must lie in [0, holdings]; `answer` is what failure reasons quote. */
function withinHoldings(
  raw: number,
  read: { kind: "donate" | "punish"; justification: string },
  answer: string,
  opts: DonationOptions,
): ParseOutcome {
  const ceiling = Math.max(opts.holdings, opts.shownHoldings ?? opts.holdings);
  const outside = raw < -TOLERANCE || raw > ceiling + TOLERANCE;
  if (outside && opts.outOfRange === "reject") {
    const problem = raw < 0 ? "is negative" : `exceeds holdings ${opts.holdings}`;
    return { ok: false, reason: `amount ${raw} ${problem} in answer ${quote(answer)}` };
  }
  if (outside && opts.outOfRange === "no-transfer")
    return {
      ok: true,
      action: { kind: read.kind, amount: raw },
      justification: read.justification,
      clamped: false,
      noTransfer: true,
    };
  const amount = Math.min(Math.max(raw, 0), opts.holdings);
  return {
    ok: true,
    action: { kind: read.kind, amount },
    justification: read.justification,
    clamped: outside,
  };
}

/**
 * The reply as a structured answer: the whole text is a JSON object holding `field`; anything else
 * is read as free text.
 */
function structuredReply(text: string, field: string): Record<string, unknown> | undefined {
  const reply = wholeJsonObject(text);
  return reply !== null && field in reply ? reply : undefined;
}

/** The actions a structured answer names, by punishment condition (none: every answer donates). */
export const STRUCTURED_ACTIONS: Record<Punishment, readonly string[]> = {
  none: [],
  costly: ["donate", "punish"],
  "partner-choice": ["donate", "refuse"],
};

const justificationOf = (reply: Record<string, unknown>): string =>
  typeof reply.justification === "string" ? reply.justification.trim() : "";

/** Rule 7: a JSON answer's action and amount, under the same range rule as text. */
function readStructuredDonation(
  reply: Record<string, unknown>,
  text: string,
  opts: DonationOptions,
): ParseOutcome {
  const justification = justificationOf(reply);
  const actions = STRUCTURED_ACTIONS[opts.punishment];
  let kind: "donate" | "punish" = "donate";
  if (actions.length > 0) {
    if (typeof reply.action !== "string" || !actions.includes(reply.action)) {
      return {
        ok: false,
        reason: `action ${JSON.stringify(reply.action) ?? "missing"} is not ${actions.map((a) => `"${a}"`).join(" or ")} in answer ${quote(text)}`,
      };
    }
    if (reply.action === "refuse")
      return { ok: true, action: { kind: "refuse" }, justification, clamped: false };
    kind = reply.action === "punish" ? "punish" : "donate";
  }
  if (typeof reply.amount !== "number" || !Number.isFinite(reply.amount)) {
    return {
      ok: false,
      reason: `amount ${JSON.stringify(reply.amount)} is not a number in answer ${quote(text)}`,
    };
  }
  return withinHoldings(reply.amount, { kind, justification }, text, opts);
}

export type StrategyOutcome =
  { ok: true; strategy: string; justification: string } | { ok: false; reason: string };

export function parseStrategy(text: string): StrategyOutcome {
  const structured = structuredReply(text, "strategy");
  if (structured) {
    const strategy = typeof structured.strategy === "string" ? structured.strategy.trim() : "";
    if (strategy === "") return { ok: false, reason: `no strategy in answer ${quote(text)}` };
    return { ok: true, strategy, justification: justificationOf(structured) };
  }
  const m = STRATEGY_PHRASE.exec(text);
  if (!m) return { ok: false, reason: `no 'My strategy will be' in response ${quote(text)}` };
  return {
    ok: true,
    justification: stripJustificationLabel(text.slice(0, m.index)),
    strategy: text.slice(m.index).trim(),
  };
}
