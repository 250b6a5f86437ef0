import FacePayCore

/// The device's passive presentation-attack detector, as the simulator assumes it behaves: scores
/// near 1 for a live face (a little lower while the head is turned and blurred, with rare glitches),
/// low for a print or a screen. The report therefore measures the server's thresholds against
/// these assumptions, not any real detector.
public enum PresentationAttackScores {
    /// A live face: N(0.965, 0.015), minus up to 0.05 when |yaw| or |pitch| > 15°, and a 1 % chance
    /// per frame of a glitch in 0.55–0.85.
    public static func live(_ motion: [MotionFrame], using random: inout SeededRandom) -> [Double] {
        motion.map { frame in
            if Double.random(in: 0..<1, using: &random) < 0.01 { return Double.random(in: 0.55...0.85, using: &random) }
            var score = 0.965 + 0.015 * random.nextGaussian()
            if abs(frame.yawDegrees) > 15 || abs(frame.pitchDegrees) > 15 { score -= Double.random(in: 0...0.05, using: &random) }
            return FaceMotion.clamp(score, 0, 1)
        }
    }

    /// A printed photo: N(0.25, 0.1).
    public static func printedPhoto(frameCount: Int, using random: inout SeededRandom) -> [Double] {
        (0..<frameCount).map { _ in FaceMotion.clamp(0.25 + 0.1 * random.nextGaussian(), 0, 1) }
    }

    /// A face on a screen: N(0.35, 0.15) — screens fool a detector more often than prints.
    public static func screen(frameCount: Int, using random: inout SeededRandom) -> [Double] {
        (0..<frameCount).map { _ in FaceMotion.clamp(0.35 + 0.15 * random.nextGaussian(), 0, 1) }
    }

    /// What an adversary who injects frames writes: whatever passes.
    public static func forged(frameCount: Int, using random: inout SeededRandom) -> [Double] {
        (0..<frameCount).map { _ in Double.random(in: 0.97...0.995, using: &random) }
    }
}
