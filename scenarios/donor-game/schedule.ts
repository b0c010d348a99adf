/** A round's pairings: [donor, recipient]. */
export type Pairing = readonly [string, string];

/**
 * The released code's schedule: halves A and B; round i (of n/2) pairs A[j] with B rotated by i,
 * the donor half switching every round; then the same rounds again with roles reversed. Longer
 * games cycle through it.
 */
export function codeSchedule(order: readonly string[], rounds: number): Pairing[][] {
  const { a, b } = halves(order);
  // Only the rounds played are built: with 1,000 agents the whole cycle is 1,000 rounds of 500
  // pairs.
  return Array.from({ length: rounds }, (_, r) => {
    const k = r % (2 * a.length);
    const rotated = rotate(b, k % a.length);
    const aDonates = ((k % a.length) % 2 === 0) !== k >= a.length;
    return a.map((agent, j): Pairing => (aDonates ? [agent, rotated[j]!] : [rotated[j]!, agent]));
  });
}

/** Same partner rotation, but the donor half switches every round for the whole game. */
export function alternatingSchedule(order: readonly string[], rounds: number): Pairing[][] {
  const { a, b } = halves(order);
  return Array.from({ length: rounds }, (_, r) => {
    const rotated = rotate(b, r % a.length);
    return a.map((agent, j): Pairing =>
      r % 2 === 0 ? [agent, rotated[j]!] : [rotated[j]!, agent],
    );
  });
}

/** Game 2 plays every pairing of game 1 with roles reversed. */
export function reversed(schedule: readonly Pairing[][]): Pairing[][] {
  return schedule.map((round) => round.map(([d, r]): Pairing => [r, d]));
}

function halves(order: readonly string[]): { a: string[]; b: string[] } {
  if (order.length % 2 !== 0)
    throw new Error(`the Donor Game needs an even population, got ${order.length}`);
  return { a: order.slice(0, order.length / 2), b: order.slice(order.length / 2) };
}

/** Python's b[-i:] + b[:-i]: the last i agents move to the front. */
function rotate<T>(items: readonly T[], i: number): T[] {
  const k = i % items.length;
  return k === 0 ? items.slice() : [...items.slice(-k), ...items.slice(0, -k)];
}
