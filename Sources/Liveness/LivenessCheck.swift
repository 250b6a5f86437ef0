/// What one check concludes.
public enum LivenessCheckVerdict: Sendable, Equatable {
    case pass
    case fail(LivenessCheckName)
}

/// One small rule of the liveness policy, in the manner of swift-certificates' `VerifierPolicy`:
/// a pure function of the gathered facts (`LivenessContext`) returning a verdict. A check that
/// cannot be evaluated because an earlier fact is missing (no challenge to read actions from; too
/// many frames to look at embeddings) passes: another check has already failed the verdict.
public protocol LivenessCheck: Sendable {
    /// Every name this check can fail with.
    var failureNames: [LivenessCheckName] { get }

    func check(_ context: LivenessContext) -> LivenessCheckVerdict
}
