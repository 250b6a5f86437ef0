import Biometrics
import FacePayCore
import Foundation
import Testing

@Suite("Calibration")
struct CalibrationTests {
    /// 80 synthetic identities × 4 captures of a noisy 32-d model.
    static func syntheticSamples(seed: UInt64) -> [LabelledEmbedding] {
        let model = SyntheticFaceModel(dimension: 32, sessionSigma: 0.08, frameSigma: 0.05)
        var random = SeededRandom(seed: seed)
        var samples: [LabelledEmbedding] = []
        for person in 0..<80 {
            let identity = model.identity(using: &random)
            for _ in 0..<4 {
                let session = model.session(of: identity, using: &random)
                samples.append(LabelledEmbedding(
                    identity: "person-\(person)", embedding: Embedding(trustedUnitVector: model.frame(of: session, using: &random))))
            }
        }
        return samples
    }

    @Test("thresholds hold their FMR on the data, FNMR is measured, rows stop where support ends")
    func syntheticCalibration() throws {
        let samples = Self.syntheticSamples(seed: TestSupport.seed("syntheticCalibration"))
        let result = Calibration.run(samples)
        let report = result.report
        // Brute force over all pairs.
        var genuine: [Float] = []
        var impostor: [Float] = []
        for i in samples.indices {
            for j in (i + 1)..<samples.count {
                let score = samples[i].embedding.similarity(to: samples[j].embedding)
                if samples[i].identity == samples[j].identity { genuine.append(score) } else { impostor.append(score) }
            }
        }
        #expect(report.modelDimension == 32)
        #expect(report.genuinePairs == genuine.count && genuine.count == 80 * 6)
        #expect(report.impostorPairs == impostor.count)
        #expect(report.thresholds.first?.fmr == 1e-2)
        let lowest = try #require(report.thresholds.last)
        #expect(lowest.fmr * Double(impostor.count) >= Calibration.minimumExpectedImpostors)
        #expect(lowest.fmr / 2.5 * Double(impostor.count) < Calibration.minimumExpectedImpostors)
        for row in report.thresholds {
            let falseMatches = impostor.filter { $0 >= row.similarity }.count
            #expect(Double(falseMatches) <= row.fmr * Double(impostor.count))
            let falseNonMatches = genuine.filter { $0 < row.similarity }.count
            #expect(abs(row.fnmr - Double(falseNonMatches) / Double(genuine.count)) < 1e-12)
        }
        #expect(result.equalErrorRate > 0 && result.equalErrorRate < 0.5)
        #expect(!result.detCurve.isEmpty)
    }

    @Test("report JSON has exactly the documented keys, in order, and decodes back")
    func reportJSON() throws {
        let report = Calibration.run(Self.syntheticSamples(seed: 7)).report
        let text = report.jsonText()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["model_dim", "genuine_pairs", "impostor_pairs", "thresholds"])
        let rows = try #require(object["thresholds"] as? [[String: Any]])
        #expect(rows.allSatisfy { Set($0.keys) == ["fmr", "similarity", "fnmr"] })
        let order = ["\"model_dim\"", "\"genuine_pairs\"", "\"impostor_pairs\"", "\"thresholds\""].map {
            text.range(of: $0)?.lowerBound
        }
        #expect(order.allSatisfy { $0 != nil })
        #expect(zip(order, order.dropFirst()).allSatisfy { ($0.0 ?? text.endIndex) < ($0.1 ?? text.startIndex) })
        let decoded = try JSONDecoder().decode(CalibrationReport.self, from: Data(text.utf8))
        #expect(decoded == report)
        // And a table can be built from it.
        #expect(CalibrationTable(report: decoded, method: "json").points == report.thresholds)
    }

    @Test("the DET plot is labelled SVG with log axes")
    func detPlot() {
        let result = Calibration.run(Self.syntheticSamples(seed: 11))
        let svg = DETPlot.svg(curve: result.detCurve, rows: result.report.thresholds, title: "A <test> & plot")
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.hasSuffix("</svg>\n"))
        #expect(svg.contains("False match rate"))
        #expect(svg.contains("False non-match rate"))
        #expect(svg.contains("<polyline"))
        #expect(svg.contains(">1e-2</text>") && svg.contains(">1e0</text>"))
        #expect(svg.contains("A &lt;test&gt; &amp; plot"))
        #expect(svg.components(separatedBy: "<circle").count - 1 == result.report.thresholds.count)
    }

    @Test("recalibrating the LFW file reproduces the committed dlib-resnet-v1 table")
    func lfwReproducesCommittedTable() throws {
        let samples = try TestSupport.loadLFW()
        #expect(samples.count == 5923)
        let result = Calibration.run(samples)
        let committed = ModelProfile.dlibResNetV1.calibration
        #expect(result.report.thresholds == committed.points)
        #expect(result.report.genuinePairs == committed.genuinePairs)
        #expect(result.report.impostorPairs == committed.impostorPairs)
        // The issue's point: dlib's 0.6 rule (cosine ≈ 0.82) is nowhere near a 1:N threshold.
        #expect(result.impostorMean > 0.8)
    }

    // MARK: reading files

    static func temporaryFile(_ name: String, _ contents: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("biometrics-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a bad line is reported with its number")
    func badLines() throws {
        let good = "{\"identity\": \"a\", \"embedding\": [1, 0, 0, 0]}\n{\"identity\": \"b\", \"embedding\": [0, 1, 0, 0]}\n"
        let cases: [(String, String)] = [
            (good + "not json\n", "line 3: not an object"),
            (good + "{\"identity\": \"c\", \"embedding\": [1, 0, 0]}\n", "line 3: invalid_embedding: expected 4 values, got 3"),
            (good + "{\"identity\": \"c\", \"embedding\": [0, 0, 0, 0]}\n", "line 3: invalid_embedding: zero vector"),
            (good + "{\"identity\": \"\", \"embedding\": [1, 0, 0, 0]}\n", "line 3: empty identity"),
            ("\n" + good + "{\"embedding\": [1, 0, 0, 0]}\n", "line 4: not an object"),
        ]
        for (contents, expected) in cases {
            let path = try Self.temporaryFile("bad.jsonl", contents)
            do throws(FacePayError) {
                _ = try LabelledEmbeddingFile.read(path: path)
                Issue.record("accepted a file expected to fail with \(expected)")
            } catch {
                #expect(error.code == "invalid_calibration_line")
                #expect(error.detail.hasPrefix(expected), "\(error.detail)")
            }
        }
        let path = try Self.temporaryFile("good.jsonl", good + "\n")
        #expect(try LabelledEmbeddingFile.read(path: path).map(\.identity) == ["a", "b"])
    }

    @Test("an unreadable file or a broken .gz is an error, a good .gz is read")
    func unreadable() throws {
        #expect { try LabelledEmbeddingFile.read(path: "/nonexistent/file.jsonl") } throws: {
            ($0 as? FacePayError)?.code == "calibration_file_unreadable"
        }
        let broken = try Self.temporaryFile("broken.jsonl.gz", "this is not gzip")
        #expect { try LabelledEmbeddingFile.read(path: broken) } throws: { error in
            guard let error = error as? FacePayError else { return false }
            return error.code == "calibration_file_unreadable" && error.detail.contains("gzip")
        }
        let lfw = try #require(TestSupport.lfwPath())
        #expect(try LabelledEmbeddingFile.contents(of: lfw).count > 1_000_000)
    }
}
