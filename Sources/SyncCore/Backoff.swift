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

/// How many changes the next push carries, or the next pull page asks for: halved after a
/// request failed in transit, doubled after a good one, never above the configured size nor
/// below one. On a link so slow or flaky that a full batch cannot cross it before the deadline,
/// smaller ones still get through, so the county keeps making progress instead of retrying the
/// same doomed request.
///
/// ```swift
/// var window = BatchWindow(limit: 1_000)
/// window.failed()      // 500
/// window.failed()      // 250
/// window.succeeded()   // 500
/// ```
public struct BatchWindow: Sendable, Hashable {
    /// The configured size, the ceiling.
    public let limit: Int
    /// Changes in the next request.
    public private(set) var size: Int

    /// Starts at the full batch size.
    public init(limit: Int) {
        self.limit = max(1, limit)
        size = self.limit
    }

    /// A request failed in transit.
    public mutating func failed() { size = max(1, size / 2) }

    /// A request was answered.
    public mutating func succeeded() { size = min(limit, size * 2) }

    /// A push of `count` changes was refused because of one of them, not known which: the next
    /// push carries the first half, narrowing down to it while the changes before it get through.
    public mutating func narrow(below count: Int) { size = max(1, min(size, count) / 2) }
}
