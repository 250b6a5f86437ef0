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

    /// How long the code of a received frame is remembered.
    public var replayRetentionSeconds: Double = 30 * 24 * 3600
    /// Frame codes remembered at most (one per frame received, about 210 bytes each in memory);
    /// the oldest are forgotten first. 2,000,000 is 30 days of 2,200 captures a day at 30 frames.
    public var replayFramesMax: Int = 2_000_000
    /// A frame is near a remembered one when their 512-bit codes differ in at most this many bits.
    /// Measured (docs/LIVENESS.md): a replay nudged by 3e-3 per component moves a code by 6 bits on
    /// average (99th percentile 12, maximum 18); frames of two genuine captures of one simulated
    /// person are never closer than 33 bits, and consecutive frames of one capture (the camera's
    /// own noise) lie about 22 bits apart at the closest. 12 sits between the two.
    public var replayHammingMax: Int = 12
    /// A capture fails `frame_replayed` when at least this share of its frames (and at least 2)
    /// are near frames of earlier captures. A replay, nudged by up to 3e-3, has nearly all of them
    /// near; a customer paying again minutes later at the same till, in the same light, gives
    /// frames as close to the earlier ones as frames of one capture are to each other (22+ bits,
    /// each near by chance with probability ~1e-4), so a share — not one or two frames — keeps
    /// such repeats from ever being declined (docs/LIVENESS.md has the arithmetic).
    public var replayNearFractionMin: Double = 1.0 / 3

    /// Near frames that make a capture of `frames` frames a replay.
    public func replayNearFramesMin(frames: Int) -> Int {
        max(2, Int((replayNearFractionMin * Double(frames)).rounded(.up)))
    }

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
        precondition(replayRetentionSeconds > 0 && replayFramesMax > 0, "replay guard must be bounded")
        precondition((0..<ReplayCode.bitCount / 4).contains(replayHammingMax), "replayHammingMax is a small number of bits")
        precondition(replayNearFractionMin > 0 && replayNearFractionMin <= 1, "replayNearFractionMin in (0, 1]")
        precondition(lockoutFailuresMax > 0 && lockoutWindowSeconds > 0 && lockoutDurationSeconds >= 0,
                     "lockout bounds must be positive")
    }
}
