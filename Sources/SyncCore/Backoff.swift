/// Exponential backoff with full jitter, capped: the delay before the next attempt after a failure.
///
/// ```swift
/// var backoff = Backoff(initial: .seconds(1), cap: .seconds(60))
/// backoff.nextDelay(random: 0.5)   // 0.5 s: half of 1 s
/// backoff.nextDelay(random: 0.5)   // 1 s: half of 2 s
/// backoff.reset()                  // after a success
/// ```
public struct Backoff: Sendable, Hashable {
    /// The first delay's ceiling.
    public let initial: Duration
    /// The largest ceiling.
    public let cap: Duration
    /// Failures since the last success.
    public private(set) var failures = 0

    /// Creates a backoff.
    public init(initial: Duration = .seconds(1), cap: Duration = .seconds(60)) {
        self.initial = initial
        self.cap = cap
    }

    /// Records a failure; returns how long to wait. `random` in 0...1 picks the point under the ceiling,
    /// kept above a tenth of it so retries never spin.
    public mutating func nextDelay(random: Double) -> Duration {
        let ceiling = min(cap, initial * Double(1 << min(failures, 30)))
        failures += 1
        let share = 0.1 + 0.9 * min(max(random, 0), 1)
        return ceiling * share
    }

    /// Records a success.
    public mutating func reset() { failures = 0 }
}
