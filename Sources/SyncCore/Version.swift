/// The release of County Sync these binaries are (`--version` on every executable).
public enum CountySyncVersion {
    /// Semantic version of the release.
    public static let current = "0.16.0"
}
