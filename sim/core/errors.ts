/**
 * A user-facing configuration error: names the field (a dotted path), the value found, and what
 * was expected, so the message alone tells a user what to fix.
 */
export class ConfigError extends Error {
  constructor(
    readonly path: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${path || "(root)"}: got ${describeValue(value)}, expected ${expected}`);
    this.name = "ConfigError";
  }
}

export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  try {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/** A bad command line or input file (not a config): the CLI prints it and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Raised before a call that would pass a cap; the engine ends the run with status budget-exhausted.
 */
export class BudgetExhaustedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BudgetExhaustedError";
  }
}
