import { isCredentialName, MASK, maskSecrets } from "./secrets.js";

/**
 * A user-facing configuration error: names the field (a dotted path), the value found, and what
 * was expected, so the message alone tells a user what to fix. A value that is (or holds) a
 * credential is masked: the message is printed and may be stored.
 */
export class ConfigError extends Error {
  constructor(
    readonly path: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    const key = path.split(".").at(-1) ?? "";
    const shown = isCredentialName(key) ? MASK : describeValue(value);
    super(maskSecrets(`${path || "(root)"}: got ${shown}, expected ${expected}`));
    this.name = "ConfigError";
  }
}

export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  try {
    // Masked before the cut, which could leave a key too short to recognise.
    const text = maskSecrets(
      JSON.stringify(value, (key, v: unknown) => (key && isCredentialName(key) ? MASK : v)),
    );
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return maskSecrets(String(value));
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
