// swift-tools-version: 6.2
// FacePay: liveness-checked face payments over mutual TLS with a SQLite double-entry ledger.
// One target per module of docs/ARCHITECTURE.md; imports point one way, down this file.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "facepay",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "facepay", targets: ["facepay"]),
        // For the fuzz package in Fuzz/ (its own package, depending on this one by path): the
        // decoders and what they need, none of them linking GRDB or Hummingbird.
        .library(name: "FacePayCore", targets: ["FacePayCore"]),
        .library(name: "Biometrics", targets: ["Biometrics"]),
        .library(name: "Liveness", targets: ["Liveness"]),
        .library(name: "FacePayWire", targets: ["FacePayWire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(name: "FacePayCore", swiftSettings: strict),
        // sqlite3_config() is variadic, so Swift cannot call it: the process-wide SQLite
        // settings Storage makes before opening the database live in this small C target.
        .target(name: "CSQLiteTuning", linkerSettings: [.linkedLibrary("sqlite3")]),
        // The numbered .sql files of Migrations/, embedded in the binary.
        .target(
            name: "FacePayMigrations", path: "Migrations",
            resources: [
                .embedInCode("0001_devices.sql"),
                .embedInCode("0002_ledger.sql"),
                .embedInCode("0003_customers.sql"),
                .embedInCode("0004_liveness.sql"),
                .embedInCode("0005_frame_sightings.sql"),
                .embedInCode("0006_verified_state_and_retention.sql"),
                .embedInCode("0007_attempt_failures.sql"),
                .embedInCode("0008_replay_sightings.sql"),
                .embedInCode("0009_audit_tree.sql"),
                .embedInCode("0010_audit_counts.sql"),
                .embedInCode("0011_audit_event_keys.sql"),
            ],
            swiftSettings: strict),
        // The compact pass's inner loop, built for several instruction sets and picked at run time
        // (Swift compiles for the x86-64 baseline only), and the replay guard's sign projection.
        // Optimised in debug builds too: the tests scan large galleries and screen every capture.
        .target(name: "CVectorKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "Biometrics", dependencies: ["FacePayCore", "CVectorKernels"], swiftSettings: strict),
        .target(
            name: "Liveness",
            dependencies: ["FacePayCore", "Biometrics", "CVectorKernels", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        // The v1 request bodies, their decoders (fast path and JSONDecoder) and the auditor's
        // query values: everything a caller's bytes go through before a use case sees them, kept
        // apart from storage and HTTP so the fuzz targets link only this.
        .target(name: "FacePayWire", dependencies: ["FacePayCore", "Liveness"], swiftSettings: strict),
        .target(name: "Ledger", dependencies: ["FacePayCore"], swiftSettings: strict),
        // The storage boundary: the values and protocols the layers above speak to; no database.
        .target(
            name: "Stores",
            dependencies: [
                "FacePayCore", "Ledger",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "Storage",
            dependencies: [
                "FacePayCore", "Ledger", "Liveness", "Stores", "FacePayMigrations", "CSQLiteTuning",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // The same Stores on PostgreSQL, for several stateless nodes on one database (SCALING.md).
        .target(
            name: "PostgresStorage",
            dependencies: [
                "FacePayCore", "Ledger", "Liveness", "Stores",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // Its own numbered .sql files (PostgreSQL's dialect), embedded in the binary.
            resources: [
                .embedInCode("Migrations/0001_devices.sql"),
                .embedInCode("Migrations/0002_ledger.sql"),
                .embedInCode("Migrations/0003_customers.sql"),
                .embedInCode("Migrations/0004_liveness.sql"),
                .embedInCode("Migrations/0005_integrity.sql"),
                .embedInCode("Migrations/0006_gallery_changes.sql"),
                .embedInCode("Migrations/0007_attempt_failure_nodes.sql"),
                .embedInCode("Migrations/0008_idempotency_claims.sql"),
                .embedInCode("Migrations/0009_gallery_change_captures.sql"),
                .embedInCode("Migrations/0010_audit_tree.sql"),
                .embedInCode("Migrations/0011_audit_counts.sql"),
                .embedInCode("Migrations/0012_audit_event_keys.sql"),
            ],
            swiftSettings: strict),
        .target(
            name: "Payments",
            dependencies: [
                "FacePayCore", "Biometrics", "Liveness", "FacePayWire", "Ledger", "Stores",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .target(
            name: "HTTPAPI",
            dependencies: [
                "FacePayCore", "FacePayWire", "Payments", "Stores", "Storage", "PostgresStorage", "Ledger", "Liveness",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                // The connection deadline handler sees request parts and the TLS handshake event.
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The OpenAPI 3.1 document of v1, compiled in and served at /openapi.json.
            resources: [.embedInCode("openapi.json")],
            swiftSettings: strict),
        .target(
            name: "Simulator",
            dependencies: [
                "FacePayCore", "Biometrics", "Liveness",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "facepay",
            dependencies: [
                "FacePayCore", "Biometrics", "Liveness", "Ledger", "Stores", "Storage", "PostgresStorage", "Payments", "HTTPAPI", "Simulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // Runs the real `facepay` binary (built alongside the tests) as an operator would.
        // The cluster tests (several `facepay serve` on one PostgreSQL database) drive them with
        // the Simulator's client, and make their scratch database with PostgresStorage.
        .testTarget(
            name: "FacePayCLITests",
            dependencies: ["FacePayCore", "Simulator", "PostgresStorage", "Storage", "Stores", .product(name: "NIOHTTP1", package: "swift-nio")],
            swiftSettings: strict),
        .testTarget(name: "FacePayCoreTests", dependencies: ["FacePayCore"], swiftSettings: strict),
        .testTarget(name: "BiometricsTests", dependencies: ["Biometrics", "CVectorKernels"], swiftSettings: strict),
        .testTarget(name: "LivenessTests", dependencies: ["Liveness", "Biometrics", "FacePayCore"], swiftSettings: strict),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "Liveness", "Biometrics", "FacePayCore"], swiftSettings: strict),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "FacePayCore"], swiftSettings: strict),
        // The store contract, written once against the Stores protocols and run on every backend.
        .testTarget(name: "StoreContractTests", dependencies: ["Stores", "Storage", "PostgresStorage", "Liveness", "Ledger", "FacePayCore"], swiftSettings: strict),
        .testTarget(name: "PaymentsTests", dependencies: ["Payments", "Ledger", "FacePayWire", "FacePayCore"], swiftSettings: strict),
        // Includes the regression tests of what the fuzz targets of Fuzz/ found.
        .testTarget(name: "FacePayWireTests", dependencies: ["FacePayWire", "FacePayCore", "Liveness"], swiftSettings: strict),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "Storage", "Stores", "FacePayCore", "Liveness", "Ledger",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "HTTPAPITests",
            dependencies: [
                "HTTPAPI", "Storage", "Stores", "FacePayCore", "FacePayWire", "Payments", "Simulator", "Liveness", "Biometrics", "Ledger",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
    ]
)
