import { expect } from "vitest";
import { ConfigError } from "../../sim/core/errors.js";

/** The ConfigError `fn` throws; fails the test if it throws nothing or something else. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}
