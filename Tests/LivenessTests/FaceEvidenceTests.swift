import FacePayCore
import Foundation
import Testing
import Liveness

@Suite("Face evidence on the wire")
struct FaceEvidenceTests {
    static func frameJSON(_ embedding: String, extra: String = "") -> String {
        #"{"t_ms": 0, \#(embedding), "yaw_deg": 1.5, "pitch_deg": -0.5, "eyes_open": 0.93, "pad_score": 0.98\#(extra)}"#
    }

    static func decode(_ json: String) throws(FacePayError) -> FaceEvidence {
        do {
            return try JSONDecoder().decode(FaceEvidence.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw FacePayError(decoding: error, fieldPrefix: "face")
        } catch {
            preconditionFailure("\(error)")
        }
    }

    @Test func decodesBothEmbeddingFormsAndIgnoresUnknownFields() throws {
        let values = (0..<4).map { Float($0) + 0.5 }
        guard case .base64(let text) = EvidenceFrame.RawEmbedding.base64(of: values) else { return }
        let json = #"{"challenge_id": "chl_abc", "model": "sim-4", "extra": true, "frames": ["#
            + Self.frameJSON(#""embedding": [0.5, 1.5, 2.5, 3.5]"#, extra: #", "note": "x""#) + ", "
            + Self.frameJSON(#""embedding_b64": "\#(text)""#) + "]}"
        let evidence = try Self.decode(json)
        #expect(evidence.challengeID == "chl_abc")
        #expect(evidence.model == "sim-4")
        #expect(evidence.frames.count == 2)
        #expect(evidence.frames[0].embedding == .values(values))
        let embeddings = try evidence.validatedEmbeddings(dimension: 4)
        #expect(embeddings[0] == embeddings[1])
        // Encoding gives the wire names back, and decodes to the same value.
        let reencoded = String(decoding: try JSONEncoder().encode(evidence), as: UTF8.self)
        for key in ["challenge_id", "t_ms", "embedding_b64", "yaw_deg", "pitch_deg", "eyes_open", "pad_score"] {
            #expect(reencoded.contains("\"\(key)\""))
        }
        #expect(try Self.decode(reencoded) == evidence)
    }

    @Test("bad fields get a 400 naming them", arguments: [
        (#"{"model": "m", "frames": []}"#, "face.challenge_id"),
        (#"{"challenge_id": 5, "model": "m", "frames": []}"#, "face.challenge_id"),
        (#"{"challenge_id": "c", "model": "m", "frames": [\#(FaceEvidenceTests.frameJSON(#""embedding": [1]"#)), {"t_ms": 1, "embedding": [1], "pitch_deg": 0, "eyes_open": 1, "pad_score": 1}]}"#,
         "face.frames[1].yaw_deg"),
        (#"{"challenge_id": "c", "model": "m", "frames": [{"t_ms": 1, "embedding": [1], "yaw_deg": 0, "pitch_deg": 0, "eyes_open": 1.5, "pad_score": 1}]}"#,
         "face.frames[0].eyes_open"),
        (#"{"challenge_id": "c", "model": "m", "frames": [{"t_ms": -1, "embedding": [1], "yaw_deg": 0, "pitch_deg": 0, "eyes_open": 1, "pad_score": 1}]}"#,
         "face.frames[0].t_ms"),
        (#"{"challenge_id": "c", "model": "m", "frames": [{"t_ms": 1, "yaw_deg": 0, "pitch_deg": 0, "eyes_open": 1, "pad_score": 1}]}"#,
         "face.frames[0].embedding"),
        (#"{"challenge_id": "c", "model": "m", "frames": [{"t_ms": 1, "embedding": [1], "embedding_b64": "AAAAAA==", "yaw_deg": 0, "pitch_deg": 0, "eyes_open": 1, "pad_score": 1}]}"#,
         "face.frames[0].embedding_b64"),
        (#"{"challenge_id": "c", "model": "m", "frames": [{"t_ms": 1, "embedding": ["x"], "yaw_deg": 0, "pitch_deg": 0, "eyes_open": 1, "pad_score": 1}]}"#,
         "face.frames[0].embedding[0]"),
    ])
    func badFieldsAreNamed(json: String, field: String) {
        let error = #expect(throws: FacePayError.self) { try Self.decode(json) }
        #expect(error?.code == "invalid_request")
        #expect(error?.detail.hasPrefix("field '\(field)'") == true, "\(error?.detail ?? "")")
    }

    @Test func frameCountIsBoundedWhileDecoding() {
        let frames = Array(repeating: Self.frameJSON(#""embedding": [1]"#), count: FaceEvidence.framesDecodedMax + 1)
        let json = #"{"challenge_id": "c", "model": "m", "frames": ["# + frames.joined(separator: ",") + "]}"
        let error = #expect(throws: FacePayError.self) { try Self.decode(json) }
        #expect(error?.detail.hasPrefix("field 'face.frames'") == true)
    }
}
