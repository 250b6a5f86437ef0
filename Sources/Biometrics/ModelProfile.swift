import FacePayCore

/// An embedding model the server accepts: its id (the `model` field of face evidence), its
/// dimension, and the calibration that turns a false-match target into a similarity threshold.
public struct ModelProfile: Sendable, Equatable, Identifiable {
    public let id: String
    public let dimension: Int
    public let calibration: CalibrationTable

    public init(id: String, dimension: Int, calibration: CalibrationTable) {
        precondition(!id.isEmpty, "a model has an id")
        precondition(dimension > 0, "a model has a positive dimension")
        self.id = id
        self.dimension = dimension
        self.calibration = calibration
    }

    /// The simulator's synthetic model (`SyntheticFaceModel.sim128`), calibrated analytically:
    /// see `SyntheticCalibration`. Supports FMRs down to 1e-12.
    public static let sim128 = ModelProfile(
        id: "sim-128", dimension: 128, calibration: SyntheticCalibration.table(for: .sim128))

    /// dlib's face-recognition ResNet (`dlib_face_recognition_resnet_model_v1`), 128-d,
    /// calibrated on LFW (`shared/data/lfw-dlib128-dev.jsonl.gz`) by `facepay calibrate`; the table
    /// is committed in `DlibResNetV1Calibration.swift`.
    public static let dlibResNetV1 = ModelProfile(
        id: "dlib-resnet-v1", dimension: 128, calibration: DlibResNetV1Calibration.table)

    /// The models every server knows without configuration.
    public static let builtIn: [ModelProfile] = [sim128, dlibResNetV1]

    /// A built-in profile by id, or `nil` for an unknown model.
    public static func builtIn(id: String) -> ModelProfile? {
        builtIn.first { $0.id == id }
    }

    /// Validates a JSON `embedding` array for this model (`invalid_embedding` on failure).
    public func embedding(validatingJSONNumbers raw: [Double]) throws(FacePayError) -> Embedding {
        try Embedding(validatingJSONNumbers: raw, dimension: dimension)
    }

    /// Validates an `embedding_b64` value for this model (`invalid_embedding` on failure).
    public func embedding(base64 text: String) throws(FacePayError) -> Embedding {
        try Embedding(base64: text, dimension: dimension)
    }
}

/// The profiles a server is configured for, looked up by the `model` field of face evidence.
public struct ModelRegistry: Sendable {
    public let profiles: [String: ModelProfile]

    public init(_ profiles: [ModelProfile]) {
        var byID: [String: ModelProfile] = [:]
        for profile in profiles {
            precondition(byID[profile.id] == nil, "model id \(profile.id) registered twice")
            byID[profile.id] = profile
        }
        self.profiles = byID
    }

    public static let builtIn = ModelRegistry(ModelProfile.builtIn)

    public func profile(id: String) -> ModelProfile? { profiles[id] }

    /// The profile for a request's `model` field, or 400 `unknown_model`.
    public func requireProfile(id: String) throws(FacePayError) -> ModelProfile {
        guard let profile = profiles[id] else {
            throw FacePayError(.badRequest, code: "unknown_model", detail: "model '\(id.prefix(64))' is not configured")
        }
        return profile
    }
}
