/** Waiting for a condition that other components (controllers, the simulated cluster) make true. */

/** A condition: a truthy value ends the wait (and is returned); falsy or a throw polls again. */
export type Condition<T> = () => T | undefined | false | Promise<T | undefined | false>;

/**
 * Calls `cond` every `intervalMs` until it returns a truthy value, which is returned — the
 * `Eventually` of Gomega that envtest suites use. After `timeoutMs` it throws
 * `timed out waiting for: <what>` with the last error `cond` threw, if any.
 * Defaults: 20 s, every 50 ms.
 */
export async function eventually<T>(what: string, cond: Condition<T>, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
