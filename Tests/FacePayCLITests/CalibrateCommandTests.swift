import FacePayCore
import Foundation
import Testing

@Suite("facepay calibrate states a model's fitness at the match target")
struct CalibrateCommandTests {
    /// 40 identities × 5 noisy images of random 32-d unit vectors: few enough impostor pairs
    /// (19,500) that the table stops near 5e-4, so the payment-grade default has no row.
    static func labelledFile(in directory: URL) throws -> String {
        var random = SeededRandom(seed: 20261204)
        func gaussian() -> Double {
            let u = Double.random(in: Double.ulpOfOne..<1, using: &random), v = Double.random(in: 0..<1, using: &random)
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
        var lines: [String] = []
        for identity in 0..<40 {
            let centre = (0..<32).map { _ in gaussian() }
            for _ in 0..<5 {
                let image = centre.map { $0 + 0.05 * gaussian() }
                lines.append(#"{"identity":"p\#(identity)","embedding":[\#(image.map { String($0) }.joined(separator: ","))]}"#)
            }
        }
        let path = directory.appendingPathComponent("labelled.jsonl").path
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("at the default target a model without a calibrated threshold is not fit; at a loose target a clean one is")
    func fitness() async throws {
        let binary = try FacePayBinary.locate()
        let directory = try FacePayBinary.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try Self.labelledFile(in: directory)

        let strict = try await binary.run(["calibrate", file], in: directory)
        #expect(strict.status == 0)
        #expect(strict.stdout.contains("fitness: model dlib-resnet-v1 at target FAR 2e-05 per attempt"), "\(strict.stdout)")
        #expect(strict.stdout.contains("100 % (no calibrated threshold)"))
        #expect(strict.stdout.contains("NOT fit for payments at this target"))

        let loose = try await binary.run(["calibrate", file, "--profile-id", "test-32", "--target-fpir", "0.01", "--bucket-size", "1",
                                          "--frr-max", "0.05"], in: directory)
        #expect(loose.status == 0)
        #expect(loose.stdout.contains("fitness: model test-32 at target FAR 1e-02"), "\(loose.stdout)")
        #expect(loose.stdout.contains(": fit for payments"))
    }
}
