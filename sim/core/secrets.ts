/**
 * Credentials out of everything Agora writes or prints: config errors, endpoint errors (and through
 * them manifests, events, batch tables, logs), graph-file errors. Keys belong in the environment
 * variable a profile's apiKeyEnv names; whatever reaches text anyway is masked here.
 */

export const MASK = "[redacted]";

/** Words that mark a config key or URL query parameter as holding a credential. */
const CREDENTIAL_WORDS = new Set([
  "key",
  "apikey",
  "token",
  "secret",
  "password",
  "passwd",
  "pwd",
  "pass",
  "auth",
  "authorization",
  "sig",
  "signature",
  "credential",
  "credentials",
  "session",
  "cookie",
  "jwt",
  "bearer",
]);

/**
 * Whether a name (`apiKey`, `api-key`, `X-Amz-Signature`, `password`) holds a credential: one of
 * its words (split at camelCase and punctuation) is credential-like. `maxTokens` is not: "tokens"
 * is a count.
 */
export function isCredentialName(name: string): boolean {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .some((word) => CREDENTIAL_WORDS.has(word));
}

/**
 * Tokens whose shape gives them away wherever they appear: OpenAI-style `sk-` keys (also as
 * endpoints echo them half starred; long enough not to be a host name such as `sk-gpu-1`), bearer
 * tokens, Hugging Face, GitHub, GitLab, Slack and Google keys.
 */
const TOKEN_SHAPES = [
  /\bBearer\s+[A-Za-z0-9._~+/=*-]{6,}/gi,
  /\bsk-[A-Za-z0-9_*-]{16,}/g,
  /\b(?:hf|ghp|gho|ghs|ghu|github_pat|glpat|xox[abprs])[-_][A-Za-z0-9_-]{6,}/g,
  /\bAIza[A-Za-z0-9_-]{20,}/g,
];

/** `scheme://user:password@` in a URL. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"']+@/gi;
/** `?name=value` or `&name=value` in a URL (or anything written like one). */
const QUERY_PARAM = /([?&;]([^=&#\s"'?]+)=)([^&#\s"']*)/g;

/**
 * `text` with every credential masked: the `known` values (keys read from the environment), URL
 * user info, query parameters with credential-like names, and token-shaped strings.
 */
export function maskSecrets(text: string, known: readonly string[] = []): string {
  let out = text;
  // Short values would mask ordinary words; keys are never that short.
  for (const secret of known) if (secret.length >= 4) out = out.split(secret).join(MASK);
  out = out.replace(USERINFO, `$1${MASK}@`);
  out = out.replace(QUERY_PARAM, (whole: string, head: string, name: string) =>
    isCredentialName(decodeURIComponentSafe(name)) ? `${head}${MASK}` : whole,
  );
  for (const shape of TOKEN_SHAPES) out = out.replace(shape, MASK);
  return out;
}

/** Whether `text` holds something maskSecrets would mask (not counting `known` values). */
export function hasSecret(text: string): boolean {
  return maskSecrets(text) !== text;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
