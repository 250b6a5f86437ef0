import Biometrics
import FacePayCore
import Foundation
import Testing

@Suite("Embedding validation")
struct EmbeddingValidationTests {
    static func base64(_ values: [Float]) -> String {
        var data = Data()
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data.base64EncodedString()
    }

    static let good: [Float] = (0..<128).map { Float($0 % 7) - 3 }

    static var invalidArrayCases: [(String, [Float])] {
        var withNaN = good
        withNaN[5] = .nan
        var withInfinity = good
        withInfinity[0] = .infinity
        var withNegativeInfinity = good
        withNegativeInfinity[127] = -.infinity
        var withSignallingNaN = good
        withSignallingNaN[64] = .signalingNaN
        return [
            ("wrong dimension (127)", Array(good.prefix(127))),
            ("wrong dimension (129)", good + [1]),
            ("empty", []),
            ("NaN", withNaN),
            ("signalling NaN", withSignallingNaN),
            ("+infinity", withInfinity),
            ("-infinity", withNegativeInfinity),
            ("zero vector", [Float](repeating: 0, count: 128)),
            ("negative zero vector", [Float](repeating: -0.0, count: 128)),
        ]
    }

    @Test("every invalid JSON array is rejected with invalid_embedding", arguments: invalidArrayCases.map(\.0))
    func rejectsInvalidArray(_ name: String) throws {
        let raw = try #require(Self.invalidArrayCases.first { $0.0 == name }?.1)
        #expect {
            try Embedding(validating: raw, dimension: 128)
        } throws: { error in
            (error as? FacePayError)?.code == "invalid_embedding" && (error as? FacePayError)?.kind == .badRequest
        }
        #expect {
            try ModelProfile.sim128.embedding(validatingJSONNumbers: raw.map(Double.init))
        } throws: { ($0 as? FacePayError)?.code == "invalid_embedding" }
        #expect {
            try Embedding(base64: Self.base64(raw), dimension: 128)
        } throws: { ($0 as? FacePayError)?.code == "invalid_embedding" }
    }

    @Test("a JSON number beyond float32 range is rejected")
    func overflowingJSONNumber() {
        var raw = Self.good.map(Double.init)
        raw[3] = 1e39
        #expect(throws: FacePayError.self) { try Embedding(validatingJSONNumbers: raw, dimension: 128) }
    }

    static let invalidBase64Cases: [(String, String)] = [
        ("not base64", "this is not base64!"),
        ("unpadded", String(base64(good).dropLast())),
        ("length not a multiple of 4 bytes", Data([1, 2, 3, 4, 5, 6]).base64EncodedString()),
        ("one byte short", Data(Data(base64Encoded: base64(good)) ?? Data()).dropLast().base64EncodedString()),
        ("empty", ""),
    ]

    @Test("every invalid embedding_b64 is rejected with invalid_embedding", arguments: invalidBase64Cases.map(\.0))
    func rejectsInvalidBase64(_ name: String) throws {
        let text = try #require(Self.invalidBase64Cases.first { $0.0 == name }?.1)
        #expect {
            try ModelProfile.dlibResNetV1.embedding(base64: text)
        } throws: { error in
            (error as? FacePayError)?.code == "invalid_embedding"
        }
    }

    @Test("details name the problem without echoing values")
    func details() {
        do throws(FacePayError) {
            _ = try Embedding(validating: [1, 2, 3], dimension: 128)
            Issue.record("accepted a 3-d vector")
        } catch {
            #expect(error.detail == "expected 128 values, got 3")
        }
    }

    @Test("valid input is L2-normalised, from an array and from base64 alike")
    func normalisation() throws {
        let fromArray = try Embedding(validating: Self.good, dimension: 128)
        let fromBase64 = try Embedding(base64: Self.base64(Self.good), dimension: 128)
        let fromJSON = try Embedding(validatingJSONNumbers: Self.good.map(Double.init), dimension: 128)
        #expect(fromArray == fromBase64)
        #expect(fromArray == fromJSON)
        let norm = fromArray.values.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        #expect(abs(norm - 1) < 1e-6)
        #expect(abs(fromArray.similarity(to: fromBase64) - 1) < 1e-6)
    }

    @Test("model registry: built-in ids, unknown model is unknown_model")
    func registry() throws {
        #expect(ModelRegistry.builtIn.profile(id: "sim-128")?.dimension == 128)
        #expect(ModelRegistry.builtIn.profile(id: "dlib-resnet-v1")?.dimension == 128)
        #expect(ModelProfile.builtIn(id: "sim-128") == ModelProfile.sim128)
        #expect(ModelProfile.builtIn(id: "nope") == nil)
        #expect { try ModelRegistry.builtIn.requireProfile(id: "nope") } throws: { ($0 as? FacePayError)?.code == "unknown_model" }
    }
}
