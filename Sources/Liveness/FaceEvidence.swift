import FacePayCore
import Foundation

/// The `face` object of payments, verifications and enrolments, exactly as on the wire:
///
///     {"challenge_id": "chl_…", "model": "sim-128",
///      "frames": [{"t_ms": 0, "embedding": [0.013, …] | "embedding_b64": "…", "yaw_deg": 1.5,
///                  "pitch_deg": -0.5, "eyes_open": 0.93, "pad_score": 0.98}, …]}
///
/// Decoding checks shape and ranges only (a bad field is a 400 that names it, via
/// `FacePayError(decoding:fieldPrefix:)`); whether the evidence is live is the policy's verdict.
/// Embeddings stay raw here and are validated against the model's dimension by
/// `validatedFrames(dimension:)`, after the frame count has been bounded.
public struct FaceEvidence: Sendable, Equatable, Codable {
    /// Hard bound applied while decoding, before any per-frame work. `LivenessSettings.framesMax`
    /// (the verdict `too_many_frames`) must be at most this.
    public static let framesDecodedMax = 256
    /// Longest `challenge_id` / `model` accepted; longer is garbage, not an unknown challenge.
    public static let identifierCharactersMax = 128

    public var challengeID: String
    public var model: String
    public var frames: [EvidenceFrame]

    public init(challengeID: String, model: String, frames: [EvidenceFrame]) {
        self.challengeID = challengeID
        self.model = model
        self.frames = frames
    }

    enum CodingKeys: String, CodingKey {
        case challengeID = "challenge_id"
        case model
        case frames
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        challengeID = try container.decode(String.self, forKey: .challengeID)
        guard challengeID.utf8.count <= Self.identifierCharactersMax else {
            throw DecodingError.dataCorruptedError(forKey: .challengeID, in: container, debugDescription: "too long")
        }
        model = try container.decode(String.self, forKey: .model)
        guard model.utf8.count <= Self.identifierCharactersMax else {
            throw DecodingError.dataCorruptedError(forKey: .model, in: container, debugDescription: "too long")
        }
        var list = try container.nestedUnkeyedContainer(forKey: .frames)
        // Bound before decoding a single frame: the count is known once the array is parsed.
        if let count = list.count, count > Self.framesDecodedMax {
            throw DecodingError.dataCorruptedError(
                forKey: .frames, in: container, debugDescription: "more than \(Self.framesDecodedMax) frames")
        }
        var frames = [EvidenceFrame]()
        frames.reserveCapacity(list.count ?? 0)
        while !list.isAtEnd {
            frames.append(try list.decode(EvidenceFrame.self))
        }
        self.frames = frames
    }
}

/// One frame of face evidence: what the device measured at `t_ms`.
public struct EvidenceFrame: Sendable, Equatable, Codable {
    /// The embedding as sent: a JSON array, or base64 of little-endian float32.
    public enum RawEmbedding: Sendable, Equatable {
        case values([Float])
        case base64(String)
    }

    /// Largest `t_ms` accepted (~35 years): keeps span arithmetic far from overflow.
    public static let timeMillisecondsMax: Int64 = 1 << 40
    /// Longest embedding accepted while decoding (the model's dimension is checked later).
    public static let embeddingValuesMax = 4096
    /// Longest `embedding_b64` text: base64 of `embeddingValuesMax` float32 values.
    static let embeddingBase64CharactersMax = (embeddingValuesMax * 4 + 2) / 3 * 4
    /// The accepted ranges, shared by both decoders.
    static let timeMillisecondsRange: ClosedRange<Int64> = 0...timeMillisecondsMax
    static let yawRange: ClosedRange<Double> = -180...180
    static let pitchRange: ClosedRange<Double> = -90...90
    static let unitRange: ClosedRange<Double> = 0...1

    public var timeMilliseconds: Int64
    public var embedding: RawEmbedding
    /// < 0: turned to the customer's left.
    public var yawDegrees: Double
    /// > 0: looking up.
    public var pitchDegrees: Double
    /// 0 (closed) ... 1 (open).
    public var eyesOpen: Double
    /// Device's passive presentation-attack score: 0 (attack) ... 1 (live).
    public var padScore: Double

    public init(timeMilliseconds: Int64, embedding: RawEmbedding, yawDegrees: Double, pitchDegrees: Double,
                eyesOpen: Double, padScore: Double) {
        self.timeMilliseconds = timeMilliseconds
        self.embedding = embedding
        self.yawDegrees = yawDegrees
        self.pitchDegrees = pitchDegrees
        self.eyesOpen = eyesOpen
        self.padScore = padScore
    }

    enum CodingKeys: String, CodingKey {
        case timeMilliseconds = "t_ms"
        case embedding
        case embeddingBase64 = "embedding_b64"
        case yawDegrees = "yaw_deg"
        case pitchDegrees = "pitch_deg"
        case eyesOpen = "eyes_open"
        case padScore = "pad_score"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        timeMilliseconds = try container.decode(Int64.self, forKey: .timeMilliseconds)
        guard Self.timeMillisecondsRange.contains(timeMilliseconds) else {
            throw DecodingError.dataCorruptedError(
                forKey: .timeMilliseconds, in: container, debugDescription: "must be between 0 and \(Self.timeMillisecondsMax)")
        }
        let hasArray = container.contains(.embedding)
        let hasBase64 = container.contains(.embeddingBase64)
        switch (hasArray, hasBase64) {
        case (true, true):
            throw DecodingError.dataCorruptedError(
                forKey: .embeddingBase64, in: container, debugDescription: "send embedding or embedding_b64, not both")
        case (false, false):
            throw DecodingError.keyNotFound(
                CodingKeys.embedding,
                .init(codingPath: container.codingPath, debugDescription: "embedding or embedding_b64 is required"))
        case (true, false):
            var list = try container.nestedUnkeyedContainer(forKey: .embedding)
            if let count = list.count, count > Self.embeddingValuesMax {
                throw DecodingError.dataCorruptedError(
                    forKey: .embedding, in: container, debugDescription: "more than \(Self.embeddingValuesMax) values")
            }
            var values = [Float]()
            values.reserveCapacity(list.count ?? 0)
            while !list.isAtEnd { values.append(try list.decode(Float.self)) }
            embedding = .values(values)
        case (false, true):
            let text = try container.decode(String.self, forKey: .embeddingBase64)
            guard text.utf8.count <= Self.embeddingBase64CharactersMax else {
                throw DecodingError.dataCorruptedError(
                    forKey: .embeddingBase64, in: container, debugDescription: "more than \(Self.embeddingValuesMax) values")
            }
            embedding = .base64(text)
        }
        yawDegrees = try Self.decode(.yawDegrees, in: container, range: Self.yawRange)
        pitchDegrees = try Self.decode(.pitchDegrees, in: container, range: Self.pitchRange)
        eyesOpen = try Self.decode(.eyesOpen, in: container, range: Self.unitRange)
        padScore = try Self.decode(.padScore, in: container, range: Self.unitRange)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(timeMilliseconds, forKey: .timeMilliseconds)
        switch embedding {
        case .values(let values): try container.encode(values, forKey: .embedding)
        case .base64(let text): try container.encode(text, forKey: .embeddingBase64)
        }
        try container.encode(yawDegrees, forKey: .yawDegrees)
        try container.encode(pitchDegrees, forKey: .pitchDegrees)
        try container.encode(eyesOpen, forKey: .eyesOpen)
        try container.encode(padScore, forKey: .padScore)
    }

    private static func decode(
        _ key: CodingKeys, in container: KeyedDecodingContainer<CodingKeys>, range: ClosedRange<Double>
    ) throws -> Double {
        let value = try container.decode(Double.self, forKey: key)
        guard value.isFinite, range.contains(value) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }
}

extension EvidenceFrame.RawEmbedding {
    /// Base64 of little-endian float32, the `embedding_b64` encoding.
    public static func base64(of values: [Float]) -> Self {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return .base64(Data(bytes).base64EncodedString())
    }
}

// MARK: - The plain-shape fast path (see `StrictJSONReader`)

extension FaceEvidence {
    /// The `face` object in the plain shape terminals send (base64 embeddings, no unknown keys),
    /// with exactly the checks of `init(from:)`; nil for anything else, which `JSONDecoder` then
    /// decodes (or refuses with the precise error).
    public static func readPlain(_ reader: inout StrictJSONReader) -> FaceEvidence? {
        var challengeID: String?
        var model: String?
        var frames: [EvidenceFrame]?
        let complete = reader.readObject { reader, key in
            switch key {
            case "challenge_id": reader.read(into: &challengeID) { $0.readString(utf8CountMax: identifierCharactersMax) }
            case "model": reader.read(into: &model) { $0.readString(utf8CountMax: identifierCharactersMax) }
            case "frames": reader.read(into: &frames) { $0.readArray(countMax: framesDecodedMax) { EvidenceFrame.readPlain(&$0) } }
            default: false
            }
        }
        guard complete, let challengeID, let model, let frames else { return nil }
        return FaceEvidence(challengeID: challengeID, model: model, frames: frames)
    }
}

extension EvidenceFrame {
    /// One frame in the plain shape: `embedding_b64` (a JSON-array embedding goes to
    /// `JSONDecoder`, whose Float conversion this path does not reproduce), every field present,
    /// each within the range `init(from:)` enforces.
    static func readPlain(_ reader: inout StrictJSONReader) -> EvidenceFrame? {
        var time: Int64?
        var base64: String?
        var yaw: Double?, pitch: Double?, eyes: Double?, pad: Double?
        let complete = reader.readObject { reader, key in
            switch key {
            case "t_ms": reader.read(into: &time) { $0.readInt64(in: timeMillisecondsRange) }
            case "embedding_b64": reader.read(into: &base64) { $0.readString(utf8CountMax: embeddingBase64CharactersMax) }
            case "yaw_deg": reader.read(into: &yaw) { $0.readDouble(in: yawRange) }
            case "pitch_deg": reader.read(into: &pitch) { $0.readDouble(in: pitchRange) }
            case "eyes_open": reader.read(into: &eyes) { $0.readDouble(in: unitRange) }
            case "pad_score": reader.read(into: &pad) { $0.readDouble(in: unitRange) }
            default: false
            }
        }
        guard complete, let time, let base64, let yaw, let pitch, let eyes, let pad else { return nil }
        return EvidenceFrame(timeMilliseconds: time, embedding: .base64(base64), yawDegrees: yaw, pitchDegrees: pitch,
                             eyesOpen: eyes, padScore: pad)
    }
}
