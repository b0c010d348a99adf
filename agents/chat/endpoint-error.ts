import type { Profile } from "../../sim/core/profile.js";
import { publicEndpoint } from "../profiles.js";

/**
 * An endpoint that failed for good (after retries, or at once on a 4xx): names the profile, host
 * and path, never credentials.
 */
export class EndpointError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = "EndpointError";
  }
}

/** An endpoint may echo the key it was sent; it goes nowhere from here. */
export function keyRedactor(
  profileName: string,
  profile: Profile,
  env?: NodeJS.ProcessEnv,
): (text: string) => string {
  return (text) => {
    if (!profile.apiKeyEnv) return text;
    const secret = env?.[profile.apiKeyEnv] ?? process.env[profile.apiKeyEnv];
    return secret && secret.length >= 4 ? text.split(secret).join(`[${profileName} key]`) : text;
  };
}

/**
 * The error a call ends with when its last attempt failed: the profile, endpoint, attempts and the
 * server's words.
 */
export function endpointFailure(
  profileName: string,
  profile: Profile,
  env?: NodeJS.ProcessEnv,
): (error: unknown, attempts: number) => unknown {
  const redact = keyRedactor(profileName, profile, env);
  return (error, attempts) => {
    if (!(error instanceof Error)) return error;
    const status = (error as { status?: unknown }).status;
    const where = `${publicEndpoint(profile.baseURL)}/chat/completions`;
    const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
    return new EndpointError(
      `profile "${profileName}" (model ${profile.model}): POST ${where} failed after ${tries}: ${redact(error.message)}`,
      typeof status === "number" ? status : undefined,
    );
  };
}
