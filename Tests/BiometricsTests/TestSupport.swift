import Biometrics
import FacePayCore
import Foundation
import Testing

/// Shared fixtures: the LFW file (found by walking up from this file), seeded random vectors.
enum TestSupport {
    static let lfwRelativePath = "shared/data/lfw-dlib128-dev.jsonl.gz"

    /// The directory above this source file that holds `shared/data/lfw-dlib128-dev.jsonl.gz`
    /// (in CI the repository is cloned beside `shared/`).
    static func lfwPath(from file: String = #filePath) -> String? {
        var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent(lfwRelativePath).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    /// Read once per test process (about half a second).
    static let lfw: Result<[LabelledEmbedding], FacePayError> = {
        guard let path = lfwPath() else {
            return .failure(FacePayError(.notFound, code: "missing_test_data", detail: "no \(lfwRelativePath) above \(#filePath)"))
        }
        do throws(FacePayError) {
            return .success(try LabelledEmbeddingFile.read(path: path))
        } catch {
            return .failure(error)
        }
    }()

    static func loadLFW() throws -> [LabelledEmbedding] {
        try lfw.get()
    }

    /// A seed for a randomised test, printed so a failure can be replayed
    /// (set `BIOMETRICS_TEST_SEED` to replay).
    static func seed(_ test: String) -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["BIOMETRICS_TEST_SEED"].flatMap(UInt64.init)
            ?? UInt64.random(in: 1...UInt64.max >> 1)
        print("\(test): seed \(seed) (replay with BIOMETRICS_TEST_SEED=\(seed))")
        return seed
    }

    static func randomUnit(_ dimension: Int, _ random: inout SeededRandom) -> Embedding {
        Embedding(trustedUnitVector: normalised((0..<dimension).map { _ in random.nextGaussian() }))
    }

    /// `base` plus isotropic noise of `sigma` per component, normalised.
    static func noisy(_ base: Embedding, sigma: Double, _ random: inout SeededRandom) -> Embedding {
        Embedding(trustedUnitVector: normalised(base.values.map { Double($0) + sigma * random.nextGaussian() }))
    }

    static func normalised(_ values: [Double]) -> [Float] {
        let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return values.map { Float($0 / norm) }
    }
}
