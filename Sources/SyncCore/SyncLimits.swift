/// The bounds a receiver enforces on what another node sends, before any work is done. Each is a
/// setting of the aggregator (`--max-...`) and of the county daemon for what it pulls; the
/// defaults are safe for a city of any size and far above what an honest county sends.
///
/// | limit | default | refused with |
/// |---|---|---|
/// | `maxValueBytes` | 4,096 bytes per text value | 400 `malformed_change` |
/// | `maxBatchChanges` | 2,000 changes per push | 413 `batch_too_large` |
/// | `maxBodyBytes` | 8 MiB per request body | 413 `payload_too_large` |
/// | `maxClockOffsetMs` | 5 minutes ahead of the receiver's clock | 400 `clock_ahead` |
/// | `maxNodesPerCounty` | 16 nodes (replicas and epochs) per county | 403 `too_many_nodes` |
public struct SyncLimits: Sendable, Hashable {
    /// Largest text value, in UTF-8 bytes.
    public var maxValueBytes = SyncLimits.textValueBytes
    /// The largest text value every replica accepts by default, in UTF-8 bytes: what every writer
    /// (CLI, console, import) holds a person's text to (`DomainText.check`).
    public static let textValueBytes = 4_096
    /// Most changes in one push.
    public var maxBatchChanges = 2_000
    /// Largest request body.
    public var maxBodyBytes = 8 * 1_024 * 1_024
    /// How far ahead of the receiver's wall clock a clock reading may be.
    public var maxClockOffsetMs: Int64 = 5 * 60 * 1_000
    /// Most nodes the city admits for one county.
    public var maxNodesPerCounty = 16
    /// Changes applied per city transaction: a push is committed in slices of this many, so one
    /// county's batch never holds the city's writer for long and other counties' requests
    /// interleave between slices. 250 new platforms hold it 3 to 4 ms. `sync-bench flood
    /// --slices 250,1000` compares: another county's one-change push p99 during a flood was 22 to
    /// 30 ms at 250 against 53 to 70 ms at 1,000 (release 0.16, two cores), and `sync-bench push`
    /// moved the same rows per second at both (17.5k to 19.2k against 18.8k to 19.1k).
    public var applySliceChanges = 250
    /// The longest node id accepted, in bytes.
    public static let maxNodeBytes = 64

    /// The defaults.
    public init() {}

    /// The latest clock reading a receiver whose wall clock reads `nowMs` accepts.
    public func latestAcceptedReading(nowMs: Int64) -> HLCTimestamp {
        HLCTimestamp(physicalMs: nowMs.addingReportingOverflow(maxClockOffsetMs).overflow ? HLCTimestamp.maxPhysicalMs : nowMs + maxClockOffsetMs,
                     logical: .max)
    }
}
