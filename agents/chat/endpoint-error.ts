import type { Profile } from "../../sim/core/profile.js";
import { maskSecrets } from "../../sim/core/secrets.js";
import { publicEndpoint } from "../profiles.js";
import { errorStatus } from "../retry.js";

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

/**
 * An endpoint may echo the key it was sent (whole, or half starred as OpenAI does) or any other
 * credential; none of it goes further than this.
 */
export function keyRedactor(
  profileName: string,
  profile: Profile,
  env?: NodeJS.ProcessEnv,
): (text: string) => string {
  return (text) => {
    const secret = profile.apiKeyEnv
      ? (env?.[profile.apiKeyEnv] ?? process.env[profile.apiKeyEnv])
      : undefined;
    const named =
      secret && secret.length >= 4 ? text.split(secret).join(`[${profileName} key]`) : text;
    return maskSecrets(named);
  };
}

/**
 * `error` with its message passed through `redact`, for whatever prints or stores it (retry
 * lines); its status stays for callers that read it.
 */
export function redactedError(error: unknown, redact: (text: string) => string): unknown {
  if (!(error instanceof Error)) return error;
  const copy = new Error(redact(error.message));
  copy.name = error.name;
  return Object.assign(copy, { status: errorStatus(error) });
}

/**
 * The error a call ends with when its last attempt failed: the profile, endpoint, attempts and the
 * server's words.
 */
export function endpointFailure(
  profileName: string,
  profile: Profile,
  redact: (text: string) => string,
): (error: unknown, attempts: number) => unknown {
  return (error, attempts) => {
    if (!(error instanceof Error)) return error;
    const where = `${publicEndpoint(profile.baseURL)}/chat/completions`;
    const tries = `${attempts} attempt${attempts === 1 ? "" : "s"}`;
    return new EndpointError(
      `profile "${profileName}" (model ${profile.model}): POST ${where} failed after ${tries}: ${redact(error.message)}`,
      errorStatus(error),
    );
  };
}
