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
        .executable(name: "sync-faults", targets: ["sync-faults"]),
        .executable(name: "scanner-fuzz", targets: ["scanner-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/pointfreeco/swift-clocks", from: "1.1.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
    ],
    targets: [
        // Domain, policy rules, clock, ids and the merge rules: pure Swift, no I/O.
        .target(name: "SyncCore"),
        // Wire messages of the sync protocol (Codable), mirroring Schemas/.
        .target(name: "SyncProtocol", dependencies: ["SyncCore", .product(name: "Crypto", package: "swift-crypto")]),
        // CSV and text encodings for platform import/export.
        .target(name: "SyncInterchange", dependencies: ["SyncCore", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        // The SQLite replicas (GRDB): schema, change capture, sync apply, city database.
        .target(
            name: "SyncStore",
            dependencies: ["SyncCore", "SyncProtocol", "CSQLite", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // libcurl, through typed C shims.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // SQLite's process-wide settings, made before GRDB opens the first connection.
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CSystemZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "WireCompression", dependencies: ["CSystemZlib"]),
        .target(name: "ServiceSupport", dependencies: ["SyncCore", .product(name: "Logging", package: "swift-log")]),
        // The HTTPS client of the sync protocol: the only code that sees a CURL*.
        .target(name: "CurlTransport", dependencies: ["CCurl", "SyncCore", "SyncProtocol", "WireCompression"]),
        // A TLS server's bound on connections and handshakes (the aggregator, a county console).
        .target(
            name: "GatedTLS",
            dependencies: [
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // What every console shares: layout, error page, CSRF and CSP, escaping, charts, assets.
        .target(
            name: "Console",
            dependencies: [
                "SyncCore", "SyncStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // The city's HTTPS server (Hummingbird, mutual TLS).
        .target(
            name: "CityServer",
            dependencies: [
                "SyncCore", "SyncProtocol", "SyncStore", "SyncInterchange", "WireCompression", "ServiceSupport", "Console", "GatedTLS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "CSignals",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "X509", package: "swift-certificates"),
            ]
        ),
        // The county office's console, served by county-syncd to its clerks (mutual TLS).
        .target(
            name: "CountyConsole",
            dependencies: [
                "SyncCore", "SyncStore", "SyncInterchange", "ServiceSupport", "Console", "GatedTLS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The county daemon's services and the sync client shared with `syncctl sync`.
        .target(
            name: "CountyDaemon",
            dependencies: [
                "SyncCore", "SyncProtocol", "SyncStore", "CurlTransport", "ServiceSupport", "CountyConsole",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "CSignals",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The `syncctl` command tree.
        .target(
            name: "AdminCommands",
            dependencies: [
                "SyncCore", "SyncStore", "SyncInterchange", "CountyDaemon", "CurlTransport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "syncctl", dependencies: ["AdminCommands", "SyncCore"]),
        // The fuzz target over decoding and checking (libFuzzer with -sanitize=fuzzer, see
        // Deploy/fuzz.sh); built plainly, it replays a corpus.
        .executableTarget(name: "scanner-fuzz", dependencies: ["SyncCore", "SyncProtocol", "CFuzzDriver"]),
        .target(name: "CFuzzDriver"),
        .executableTarget(
            name: "county-syncd",
            dependencies: [
                "CountyDaemon", "CountyConsole", "SyncStore", "CSignals", "ServiceSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "city-aggregator",
            dependencies: [
                "CityServer", "SyncStore", "CSignals", "ServiceSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "sync-bench",
            dependencies: [
                "SyncCore", "SyncProtocol", "SyncStore", "CountyDaemon", "CurlTransport", "CityServer", "WireCompression",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // A city and counties as real processes on loopback, and a fault-injecting TCP proxy.
        .target(name: "LocalCluster", dependencies: ["SyncCore", "SyncProtocol", "SyncStore", "CurlTransport", "CSpawn"]),
        // posix_spawn that closes every other descriptor in the child (closefrom), for LocalCluster.
        .target(name: "CSpawn"),
        // SIGHUP counted in a plain handler, for the aggregator and the daemon.
        .target(name: "CSignals"),
        // Seeded fault trials that check nothing is lost or duplicated.
        .target(
            name: "FaultHarness",
            dependencies: ["LocalCluster", "SyncCore", "SyncProtocol", "SyncStore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .executableTarget(
            name: "sync-faults",
            dependencies: ["FaultHarness", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "SyncCoreTests", dependencies: ["SyncCore"]),
        .testTarget(name: "SyncStoreTests", dependencies: ["SyncStore", "SyncCore", "SyncProtocol", "CSQLite"]),
        .testTarget(
            name: "SyncctlTests",
            dependencies: ["syncctl", "SyncStore", "SyncInterchange", "AdminCommands", "LocalCluster"]
        ),
        .testTarget(
            name: "SyncTests",
            dependencies: ["SyncCore", "SyncProtocol", "SyncStore", "CurlTransport", "CityServer", "CountyDaemon",
                           "LocalCluster", "FaultHarness", "syncctl", "county-syncd", "city-aggregator", "sync-faults", "WireCompression", "SyncInterchange", "GatedTLS",
                           .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Clocks", package: "swift-clocks")]
        ),
    ]
)
