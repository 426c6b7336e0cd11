// swift-tools-version:6.0
import PackageDescription

// Layers, lowest first (see docs/ARCHITECTURE.md):
//   PoEWire (standard library only) -> PoECrypto -> PBFT (pure core)
//                                             \-> PoELedger (SQLite), PoEExecutor (WasmKit),
//                                                 PoETransport (SwiftNIO TCP)
//   PBFT + PoELedger -> PoEDuties (pure: a validator's job duties)
//   PBFT + PoEDuties + PoELedger -> PoENodeCore (the one interpreter of both)
//   PoENodeCore -> PoESim (simulated world) and PoENode (the real one: TCP, HTTP, files)
//   poe (CLI) sits on top of all of them.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "poe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "poe", targets: ["poe"]),
        .library(name: "PoECrypto", targets: ["PoECrypto"]),
        .library(name: "PoEWire", targets: ["PoEWire"]),
        .library(name: "PBFT", targets: ["PBFT"]),
        .library(name: "PoELedger", targets: ["PoELedger"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // Exact: fuel counts and trap texts are part of every result digest.
        .package(url: "https://github.com/swiftwasm/WasmKit", exact: "0.4.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSecp256k1", pkgConfig: "libsecp256k1",
            providers: [.apt(["libsecp256k1-dev"])]),
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CMalloc"),
        .target(name: "PoEWire", swiftSettings: strict),
        .target(name: "PoECrypto", dependencies: ["PoEWire", "CSecp256k1", "COpenSSL"], swiftSettings: strict),
        .target(name: "PBFT", dependencies: ["PoEWire", "PoECrypto"], swiftSettings: strict),
        .target(
            name: "PoEDuties", dependencies: ["PBFT", "PoECrypto", "PoEWire", "PoELedger"], swiftSettings: strict),
        .target(
            name: "PoENodeCore", dependencies: ["PBFT", "PoECrypto", "PoEWire", "PoELedger", "PoEDuties"],
            swiftSettings: strict),
        .target(
            name: "PoESim", dependencies: ["PBFT", "PoECrypto", "PoEWire", "PoELedger", "PoEDuties", "PoENodeCore"],
            swiftSettings: strict),
        .target(
            name: "PoELedger",
            dependencies: ["PoEWire", "PoECrypto", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .target(
            name: "PoEExecutor",
            dependencies: [
                "PoEWire", "PoECrypto",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmKitWASI", package: "WasmKit"),
                .product(name: "WASI", package: "WasmKit"),
            ],
            swiftSettings: strict),
        .target(
            name: "PoETransport",
            dependencies: [
                "PoEWire", "PoECrypto",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(
            name: "PoENode",
            dependencies: [
                "PoEWire", "PoECrypto", "PBFT", "PoELedger", "PoEExecutor", "PoETransport", "PoEDuties", "PoENodeCore",
                "CMalloc",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "poe",
            dependencies: [
                "PoEWire", "PoECrypto", "PBFT", "PoESim", "PoELedger", "PoEExecutor", "PoETransport", "PoENode",
                "PoEDuties", "PoENodeCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .testTarget(name: "PoEWireTests", dependencies: ["PoEWire"], swiftSettings: strict),
        .testTarget(
            name: "PoECryptoTests", dependencies: ["PoECrypto", "PoEWire"],
            resources: [.copy("bip340-vectors.csv")], swiftSettings: strict),
        .testTarget(name: "PBFTTests", dependencies: ["PBFT", "PoECrypto", "PoEWire"], swiftSettings: strict),
        .testTarget(name: "PoESimTests", dependencies: ["PoESim", "PBFT", "PoEDuties", "PoENodeCore", "PoELedger", "PoECrypto"], swiftSettings: strict),
        .testTarget(
            name: "PoEDutiesTests", dependencies: ["PoEDuties", "PBFT", "PoECrypto", "PoELedger"], swiftSettings: strict),
        .testTarget(name: "PoELedgerTests", dependencies: ["PoELedger", "PoECrypto", "PoEWire"], swiftSettings: strict),
        .testTarget(
            name: "PoETransportTests",
            dependencies: [
                "PoETransport", "PoECrypto", "PoEWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "PoENodeTests",
            dependencies: [
                "PoENode", "PoENodeCore", "PoEDuties", "PoECrypto", "PoEWire", "PBFT", "PoELedger", "PoEExecutor",
                "PoETransport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "PoEClusterTests",
            dependencies: [
                "PoENode", "PoENodeCore", "PoEDuties", "PoECrypto", "PoEWire", "PBFT", "PoELedger", "PoEExecutor", "PoETransport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "PoEExecutorTests",
            dependencies: [
                "PoEExecutor", "PoECrypto", "PoEWire",
                .product(name: "WasmKit", package: "WasmKit"),
                .product(name: "WasmKitWASI", package: "WasmKit"),
                .product(name: "WASI", package: "WasmKit"),
            ],
            // Read and rewritten in place by GoldenVectorTests, not bundled.
            exclude: ["golden-vectors.json"],
            swiftSettings: strict),
    ]
)
