// swift-tools-version:5.4
// A separate package so that libFuzzer's `main` does not clash with the one SwiftPM
// (tools 5.5 and later) gives executables. Built and run by scripts/fuzz.
import PackageDescription

let package = Package(
    name: "PoEFuzz",
    dependencies: [.package(name: "poe", path: "..")],
    targets: [
        .executableTarget(
            name: "DecoderFuzzer",
            dependencies: [
                .product(name: "PoEWire", package: "poe"),
                .product(name: "PoECrypto", package: "poe"),
                .product(name: "PBFT", package: "poe"),
                .product(name: "PoELedger", package: "poe"),
            ]),
    ]
)
