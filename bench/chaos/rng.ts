// A seeded PRNG (mulberry32). Every client's sequence of operations and the moments the server is
// killed follow from the run's seed, so CHAOS_SEED=<seed> replays the same plan (interleavings
// still depend on timing, which no seed controls).
export type Rng = () => number;

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An independent stream for sub-task `i` (a client, the kill schedule). */
export function childRng(seed: number, i: number): Rng {
  return mulberry32((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
}

export const between = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));

export function pick<T>(rng: Rng, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(rng() * items.length)];
}

/** Picks by weight: `weighted(rng, { a: 3, b: 1 })` is "a" three times as often as "b". */
export function weighted<K extends string>(rng: Rng, weights: Record<K, number>): K {
  const entries = Object.entries(weights) as [K, number][];
  let r = rng() * entries.reduce((s, [, w]) => s + w, 0);
  for (const [k, w] of entries) {
    r -= w;
    if (r < 0) return k;
  }
  return entries[entries.length - 1]![0];
}
