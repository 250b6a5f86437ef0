// swift-tools-version: 6.2
// libFuzzer targets for FacePay's decoders: one executable per target, each linking only the
// root package's wire modules (no GRDB, no Hummingbird). Build and run them with `run.sh`, which
// adds the coverage and sanitizer flags and links libFuzzer; a plain `swift build` here compiles
// them but leaves LLVMFuzzerRunDriver unresolved.
import Foundation
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

// A path dependency's identity is its folder's name (the checkout may be called anything), so
// the products are named through it rather than through a fixed "facepay".
let root = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent()
let facepay = root.lastPathComponent.lowercased()

func product(_ name: String) -> Target.Dependency { .product(name: name, package: facepay) }

let fuzzTargets: [(name: String, uses: [String])] = [
    ("strict-json", ["FacePayCore"]),
    ("payment-body", ["FacePayCore", "Liveness", "FacePayWire"]),
    ("verification-body", ["FacePayCore", "Liveness", "FacePayWire"]),
    ("enrolment-body", ["FacePayCore", "Liveness", "FacePayWire"]),
    ("face-evidence", ["FacePayCore", "Biometrics", "Liveness", "FacePayWire"]),
    ("query", ["FacePayCore", "FacePayWire"]),
]

let package = Package(
    name: "facepay-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "..")],
    targets: [
        // The libFuzzer driver and the checks every target shares.
        .target(
            name: "FuzzSupport",
            dependencies: [product("FacePayCore"), product("Biometrics"), product("Liveness"), product("FacePayWire")],
            swiftSettings: strict),
    ] + fuzzTargets.map { target -> Target in
        .executableTarget(
            name: target.name, dependencies: ["FuzzSupport"] + target.uses.map(product), swiftSettings: strict)
    }
)
