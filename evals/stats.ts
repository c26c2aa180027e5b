/**
 * Pass rates over repeated trials. With n trials of a scenario of which c passed:
 * - pass@k: the chance that at least one of k trials drawn from them passes (Chen et al. 2021's
 *   unbiased estimator), what "can it do this at all" asks;
 * - pass^k: the chance that all k drawn trials pass (Yao et al. 2024, τ-bench), what "can we rely
 *   on it" asks. pass@1 = pass^1 = c/n.
 */

/** C(n, k) / C(m, k) as a product, so large counts never overflow. */
function ratioOfChoose(n: number, m: number, k: number): number {
  let ratio = 1;
  for (let i = 0; i < k; i++) ratio *= (n - i) / (m - i);
  return ratio;
}

function assertCounts(n: number, c: number, k: number): void {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 1 || c < 0 || c > n || k < 1 || k > n) {
    throw new RangeError(`pass@k needs integers 0 <= c <= n and 1 <= k <= n (got n=${n}, c=${c}, k=${k})`);
  }
}

export function passAtK(n: number, c: number, k: number): number {
  assertCounts(n, c, k);
  if (n - c < k) return 1;
  return 1 - ratioOfChoose(n - c, n, k);
}

export function passHatK(n: number, c: number, k: number): number {
  assertCounts(n, c, k);
  if (c < k) return 0;
  return ratioOfChoose(c, n, k);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length;
}
