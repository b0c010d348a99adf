// A run's pace bounds, apart from the protocol's zod schemas: the CLI checks its flags with them
// without loading zod.
/**
 * Steps per second a speed may be: 0 (unlimited) or within these bounds. Slower would wait past
 * what a timer can (1e-300 asked for 1e303 ms, which Node cuts to 1 ms with a warning per step);
 * faster is unlimited in all but name.
 */
export const MIN_SPEED = 0.01;
export const MAX_SPEED = 1000;
export const SPEED_RANGE = `steps per second: 0 (unlimited) or from ${MIN_SPEED} to ${MAX_SPEED}`;

/** What is wrong with `speed` as a gate's pace, or undefined when it is fine. */
export function speedProblem(speed: number): string | undefined {
  const fine = speed === 0 || (speed >= MIN_SPEED && speed <= MAX_SPEED);
  return fine ? undefined : `speed: got ${speed}, expected ${SPEED_RANGE}`;
}
