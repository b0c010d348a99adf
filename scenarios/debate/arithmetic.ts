import type { Rng } from "../../sim/core/rng.js";
import type { Question } from "./questions.js";

/**
 * Du et al.'s (2023) arithmetic task: "What is the result of a+b*c+d-e*f?" with operands drawn
 * uniformly (their numpy randint(0, 30) gives 0..29). Other lengths cycle the same operators.
 */
export const DU_OPERATORS = ["+", "*", "+", "-", "*"] as const;
type Operator = (typeof DU_OPERATORS)[number];

export interface ArithmeticOptions {
  count: number;
  /** Operands per expression (default 6: a+b*c+d-e*f). */
  terms?: number | undefined;
  /** Largest operand, smallest is 0 (default 29, as in Du et al.'s code). */
  maxOperand?: number | undefined;
}

/** Multiplication before addition and subtraction. */
export function evaluate(operands: readonly number[], operators: readonly Operator[]): number {
  let total = 0;
  let sign = 1;
  let product = operands[0]!;
  operators.forEach((op, i) => {
    const next = operands[i + 1]!;
    if (op === "*") product *= next;
    else {
      total += sign * product;
      sign = op === "+" ? 1 : -1;
      product = next;
    }
  });
  return total + sign * product;
}

/** The classic slip: every operator applied in reading order. */
export function evaluateLeftToRight(
  operands: readonly number[],
  operators: readonly Operator[],
): number {
  return operators.reduce((acc, op, i) => {
    const next = operands[i + 1]!;
    return op === "+" ? acc + next : op === "-" ? acc - next : acc * next;
  }, operands[0]!);
}

export function generateArithmetic(options: ArithmeticOptions, rng: Rng): Question[] {
  const terms = options.terms ?? 6;
  const maxOperand = options.maxOperand ?? 29;
  const operators = Array.from(
    { length: terms - 1 },
    (_, i) => DU_OPERATORS[i % DU_OPERATORS.length]!,
  );
  return Array.from({ length: options.count }, (_, index) => {
    const operands = Array.from({ length: terms }, () => rng.int(0, maxOperand));
    const expression = operands
      .map((n, i) => (i === 0 ? `${n}` : `${operators[i - 1]}${n}`))
      .join("");
    const answer = evaluate(operands, operators);
    const question: Question = {
      id: `arithmetic-${index + 1}`,
      question: `What is the result of ${expression}?`,
      answers: [String(answer)],
      explanation: explain(operands, operators, answer),
      source: "generator:arithmetic",
    };
    const trap = trapFor(operands, operators, answer);
    if (trap !== undefined) question.trap = String(trap);
    return question;
  });
}

/**
 * Left-to-right evaluation; if that happens to be right, adding the last product instead of
 * subtracting it.
 */
function trapFor(
  operands: readonly number[],
  operators: readonly Operator[],
  answer: number,
): number | undefined {
  const leftToRight = evaluateLeftToRight(operands, operators);
  if (leftToRight !== answer) return leftToRight;
  const minus = operators.lastIndexOf("-");
  if (minus < 0) return undefined;
  const flipped = operators.map((op, i) => (i === minus ? "+" : op));
  const slip = evaluate(operands, flipped);
  return slip !== answer ? slip : undefined;
}

function explain(
  operands: readonly number[],
  operators: readonly Operator[],
  answer: number,
): string {
  // Group operands into products, then show them summed with their signs.
  const groups: { sign: string; factors: number[] }[] = [{ sign: "", factors: [operands[0]!] }];
  operators.forEach((op, i) => {
    if (op === "*") groups[groups.length - 1]!.factors.push(operands[i + 1]!);
    else groups.push({ sign: op, factors: [operands[i + 1]!] });
  });
  const products = groups
    .filter((g) => g.factors.length > 1)
    .map((g) => `${g.factors.join("*")} = ${g.factors.reduce((a, b) => a * b)}`);
  const sum = groups
    .map((g, i) => `${i === 0 ? "" : g.sign}${g.factors.reduce((a, b) => a * b)}`)
    .join("");
  return `${products.length > 0 ? `Multiplication first: ${products.join(", ")}; then ` : ""}${sum} = ${answer}.`;
}
