// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "CountySync",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "syncctl", targets: ["syncctl"]),
        .executable(name: "county-syncd", targets: ["county-syncd"]),
        .executable(name: "city-aggregator", targets: ["city-aggregator"]),
        .executable(name: "sync-bench", targets: ["sync-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Domain, policy rules, clock and ids: pure Swift, no I/O.
        .target(name: "SyncCore"),
        // CSV and text encodings for platform import/export.
        .target(name: "SyncInterchange", dependencies: ["SyncCore"]),
        // The SQLite replicas (GRDB): schema, change capture, sync apply.
        .target(
            name: "SyncStore",
            dependencies: ["SyncCore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The `syncctl` command tree.
        .target(
            name: "AdminCommands",
            dependencies: [
                "SyncCore", "SyncStore", "SyncInterchange",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "syncctl", dependencies: ["AdminCommands"]),
        .executableTarget(name: "county-syncd"),
        .executableTarget(name: "city-aggregator"),
        .executableTarget(
            name: "sync-bench",
            dependencies: [
                "SyncCore", "SyncStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "SyncCoreTests", dependencies: ["SyncCore"]),
        .testTarget(name: "SyncStoreTests", dependencies: ["SyncStore", "SyncCore"]),
        .testTarget(
            name: "SyncctlTests",
            dependencies: ["syncctl", "SyncStore", "SyncInterchange", "AdminCommands"]
        ),
    ]
)
