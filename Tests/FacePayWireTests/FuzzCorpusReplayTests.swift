import FacePayCore
import FacePayWire
import Foundation
import Liveness
import Testing

/// The committed seed corpus of the fuzz targets (`Fuzz/corpus/`), replayed through the same
/// properties in the normal test suite: whatever the fast path decodes, `JSONDecoder` decodes
/// to the same value, and `WireBody.decode` answers a value or a 400. Crash inputs the fuzzers
/// find are added to the corpus with their fix, so they stay found here too.
@Suite("fuzz seed corpus, replayed")
struct FuzzCorpusReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    static func inputs(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
        let folder = corpus.appendingPathComponent(target)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        return try names.map { ($0, Array(try Data(contentsOf: folder.appendingPathComponent($0)))) }
    }

    static func plain<T: PlainJSONDecodable>(_ type: T.Type, _ bytes: [UInt8]) -> T? {
        StrictJSONReader.with(bytes) { reader -> T? in
            guard let value = T.readPlain(&reader), reader.isAtEnd() else { return nil }
            return value
        }
    }

    static func checkBody<T: PlainJSONDecodable & Equatable>(_ type: T.Type, _ name: String, _ bytes: [UInt8]) -> T? {
        let oracle = try? JSONDecoder().decode(T.self, from: Data(bytes))
        if let fast = plain(T.self, bytes) { #expect(fast == oracle, "\(name): fast path differs from JSONDecoder") }
        do {
            let decoded = try WireBody.decode(T.self, from: bytes)
            #expect(decoded == oracle, "\(name)")
            return decoded
        } catch let error as FacePayError {
            #expect(error.kind == .badRequest && oracle == nil, "\(name): \(error)")
        } catch {
            Issue.record("\(name): \(Swift.type(of: error)) is not a FacePayError")
        }
        return nil
    }

    @Test("payment bodies: genuine ones take the fast path; every one decodes as JSONDecoder does or is a 400")
    func paymentBodies() throws {
        let inputs = try Self.inputs("payment-body")
        #expect(inputs.count >= 10)
        for (name, bytes) in inputs {
            let decoded = Self.checkBody(PaymentBody.self, name, bytes)
            if name.hasPrefix("genuine-") {
                #expect(decoded != nil, "\(name)")
                if name.contains("base64") { #expect(Self.plain(PaymentBody.self, bytes) != nil, "\(name) takes the fast path") }
            }
            if name.contains("19-digits") || name.contains("20-digits") { #expect(decoded == nil, "\(name) is a 400") }
            if let decoded { #expect((try? decoded.face.validatedEmbeddings(dimension: 128)) != nil || !name.hasPrefix("genuine-")) }
        }
    }

    @Test("verification bodies: the same properties")
    func verificationBodies() throws {
        for (name, bytes) in try Self.inputs("verification-body") {
            let decoded = Self.checkBody(VerificationBody.self, name, bytes)
            if name.hasPrefix("genuine-") { #expect(decoded != nil, "\(name)") }
            if name.contains("t-ms-19-digits") || name.contains("t-ms-over-max") { #expect(decoded == nil, "\(name) is a 400") }
        }
    }

    @Test("face objects and erasure bodies: JSONDecoder's value, validated as the policy does, or a 400")
    func faceEvidence() throws {
        for (name, bytes) in try Self.inputs("face-evidence") {
            let oracle = try? JSONDecoder().decode(FaceEvidence.self, from: Data(bytes))
            let fast = StrictJSONReader.with(bytes) { reader -> FaceEvidence? in
                guard let value = FaceEvidence.readPlain(&reader), reader.isAtEnd() else { return nil }
                return value
            }
            if let fast { #expect(fast == oracle, "\(name)") }
            if name.hasPrefix("genuine-") {
                let evidence = try #require(oracle, "\(name)")
                #expect(try evidence.validatedEmbeddings(dimension: 128).count == evidence.frames.count)
            }
            if let evidence = oracle {
                do throws(FacePayError) { _ = try evidence.validatedEmbeddings(dimension: 128) } catch {
                    #expect(error.code == "invalid_embedding", "\(name)")
                }
            }
            _ = try? WireBody.decode(ErasureBody.self, from: bytes)
        }
    }
}
