/// Every threshold of the liveness engine, with the product defaults of SPEC.md ("Face evidence").
/// `facepay serve` overrides them from flags and environment variables; the policy reads nothing
/// else. See LIVENESS.md for why each default is what it is.
public struct LivenessSettings: Sendable, Equatable {
    // MARK: Challenges

    /// How long a challenge may be answered after it was issued.
    public var challengeTTLSeconds: Double = 30
    /// Unused, unexpired challenges one device may hold at once; beyond it issuing answers 429, so a
    /// device cannot fill the challenge table.
    public var challengesOutstandingPerDeviceMax: Int = 8

    // MARK: Frames and timing

    public var framesMin: Int = 5
    public var framesMax: Int = 60
    /// From the first frame's `t_ms` to the last one's.
    public var captureSpanMillisecondsMax: Int64 = 10_000

    // MARK: Actions

    /// A turn must start from a frame this close to frontal...
    public var turnNeutralYawDegreesMax: Double = 10
    /// ...and reach at least this yaw (negative for left, positive for right).
    public var turnYawDegreesMin: Double = 20
    /// Look up reaches `pitch ≥ lookPitchDegreesMin`, look down `pitch ≤ −lookPitchDegreesMin`.
    public var lookPitchDegreesMin: Double = 15
    /// A blink is a frame with `eyes_open` below `blinkClosedEyesOpenMax` followed, within
    /// `blinkReopenMillisecondsMax`, by a frame above `blinkOpenEyesOpenMin`.
    public var blinkClosedEyesOpenMax: Double = 0.2
    public var blinkOpenEyesOpenMin: Double = 0.6
    public var blinkReopenMillisecondsMax: Int64 = 1_000

    // MARK: Embeddings

    /// Every pair of frames must have at least this cosine similarity (after L2 normalisation) to
    /// count as one person. Per model, because embedding spaces differ wildly:
    /// - `sim-128`: frames of one capture sit at 0.95–0.99, different people at 0 ± 0.09 → 0.80.
    /// - `dlib-resnet-v1`: measured on shared/data (LFW, dlib): different photos of one person
    ///   0.88 at the 0.1st percentile (median 0.95); different people median 0.84, 99th percentile
    ///   0.91 — dlib vectors share a cone, so the margin is narrow → 0.88. Frames of one capture are
    ///   closer than different photos, but lookalikes are not separable here; that is the matcher's
    ///   and the signature's job.
    public var frameSimilarityMinByModel: [String: Float] = ["sim-128": 0.80, "dlib-resnet-v1": 0.88]
    /// For a model without an entry above. Measure and add an entry when adding a model.
    public var frameSimilarityMinDefault: Float = 0.80
    /// Two frames at or above this cosine similarity are "identical": only a still image, repeated
    /// or lightly noised, gives them. 0.9999 is Euclidean 0.014 between unit vectors; sim-128
    /// frames of one capture stay below 0.992, and dlib's jitter between consecutive frames of a
    /// still head is assumed (not measured: no video data here) to stay below it too.
    public var identicalFrameSimilarityMin: Float = 0.9999

    /// The identity threshold for `model`.
    public func frameSimilarityMin(model: String) -> Float {
        frameSimilarityMinByModel[model] ?? frameSimilarityMinDefault
    }

    // MARK: Presentation-attack detection (device side, trusted only as far as the device is)

    public var padScoreMeanMin: Double = 0.9
    public var padScoreMin: Double = 0.5

    // MARK: Replay guard

    /// How long a frame fingerprint is remembered after it was last received.
    public var replayRetentionSeconds: Double = 30 * 24 * 3600
    /// Fingerprints remembered at most (one per frame); the oldest are forgotten first.
    public var replayFingerprintsMax: Int = 10_000_000

    // MARK: Lockout

    /// Liveness failures within `lockoutWindowSeconds` that lock a device out...
    public var lockoutFailuresMax: Int = 5
    public var lockoutWindowSeconds: Double = 180
    /// ...for this long.
    public var lockoutDurationSeconds: Double = 1_800

    // MARK: Device signatures

    /// When true every terminal must sign its evidence (a terminal without a registered key then
    /// always fails `signature_missing`). Any device with a registered key must sign regardless.
    public var requireTerminalSignatures: Bool = false

    public init() {}

    /// Programmer errors in configuration stop the process at start-up rather than weaken a check.
    public func validate() {
        precondition(challengeTTLSeconds > 0, "challengeTTLSeconds must be positive")
        precondition(challengesOutstandingPerDeviceMax > 0, "challengesOutstandingPerDeviceMax must be positive")
        precondition(framesMin >= 2 && framesMin <= framesMax, "need 2 ≤ framesMin ≤ framesMax")
        precondition(framesMax <= FaceEvidence.framesDecodedMax, "framesMax above the decoder's hard bound")
        precondition(captureSpanMillisecondsMax > 0, "captureSpanMillisecondsMax must be positive")
        precondition(turnNeutralYawDegreesMax >= 0 && turnNeutralYawDegreesMax < turnYawDegreesMin,
                     "a turn must leave the neutral band")
        precondition(lookPitchDegreesMin > 0, "lookPitchDegreesMin must be positive")
        precondition(blinkClosedEyesOpenMax < blinkOpenEyesOpenMin, "closed must be below open")
        precondition(blinkReopenMillisecondsMax > 0, "blinkReopenMillisecondsMax must be positive")
        for threshold in Array(frameSimilarityMinByModel.values) + [frameSimilarityMinDefault] {
            precondition(threshold > -1 && threshold < identicalFrameSimilarityMin,
                         "frame similarity minimums must be below identicalFrameSimilarityMin")
        }
        precondition(identicalFrameSimilarityMin <= 1, "identicalFrameSimilarityMin is a cosine")
        precondition((0...1).contains(padScoreMeanMin) && (0...1).contains(padScoreMin), "PAD bounds are in 0...1")
        precondition(replayRetentionSeconds > 0 && replayFingerprintsMax > 0, "replay guard must be bounded")
        precondition(lockoutFailuresMax > 0 && lockoutWindowSeconds > 0 && lockoutDurationSeconds >= 0,
                     "lockout bounds must be positive")
    }
}
