import { setTimeout as sleep } from "node:timers/promises";

/**
 * Makes requests whose outcome must not show in their timing (a known or an unknown address) end
 * at one common time after they started: the target, a high quantile of how long each outcome
 * recently took by itself, the larger of the outcomes'. Every request runs its own work, then
 * sleeps until `started + target`; so nearly all of them, of either outcome, end at the target
 * (plus the same timer's lateness), and neither outcome waits for the other's durations while
 * its own are measured only as they run. A request whose work ran past the target (a slow patch)
 * ends when its work does, for either outcome alike.
 */
export class ResponseTiming<Outcome extends string> {
  private readonly recent = new Map<Outcome, RecentDurations>();

  /**
   * `outcomes`: the outcomes to make alike; `window`: how many recent durations of each count;
   * `quantile`: which of them sets the target (0.9: one request in ten runs past it).
   */
  constructor(
    outcomes: readonly Outcome[],
    window = 64,
    private readonly quantile = 0.9,
  ) {
    for (const outcome of outcomes) this.recent.set(outcome, new RecentDurations(window));
  }

  /** The common duration (ms) requests end at now: the largest of the outcomes' quantiles. */
  target(): number {
    let target = 0;
    for (const durations of this.recent.values()) target = Math.max(target, durations.quantile(this.quantile));
    return target;
  }

  /**
   * Records how long a request of `outcome` that began at `started` (a `performance.now()` time)
   * took by itself, then resolves at the target time: at once when it is already past.
   */
  async settle(outcome: Outcome, started: number): Promise<void> {
    const deadline = started + this.target();
    const durations = this.recent.get(outcome);
    if (!durations) throw new Error(`ResponseTiming: unknown outcome ${outcome}`);
    durations.add(performance.now() - started);
    // One timer for every outcome: its lateness is the same whichever outcome waits. libuv counts
    // whole milliseconds on a clock it caches per loop turn, so a timer may fire up to a
    // millisecond or two before `performance.now()` reaches the deadline: sleep again until it has,
    // or the early ones would be the quick outcome's tell.
    for (let left = deadline - performance.now(); left > 0; left = deadline - performance.now()) {
      await sleep(Math.ceil(left));
    }
  }
}

/** The last `size` durations (ms) and their quantiles. */
class RecentDurations {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly size: number) {}

  add(ms: number): void {
    if (this.samples.length < this.size) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.size;
  }

  /** The `q` quantile (nearest rank) of the recent durations; 0 before the first. */
  quantile(q: number): number {
    if (this.samples.length === 0) return 0;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  }
}
