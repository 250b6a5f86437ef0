import FacePayCore
import Liveness

/// How faces (and things pretending to be faces) move in front of a till camera.
///
/// A person following a challenge: a neutral lead-in, then each action — a turn or a look ramps
/// over three frames to a peak (yaw ~ N(33°, 4°), pitch ~ N(26°, 3.5°); now and then a
/// customer under-turns and fails, as at a real till), holds two to four frames
/// and ramps back; a blink closes over one frame, stays closed one or two and reopens through a
/// half-open frame — then a neutral tail. Neutral frames wobble by a few degrees around a small
/// per-person head offset, and the eyes blink spontaneously now and then. Frames come every
/// 55–95 ms (about 13 per second), so a two-action capture has about 30 frames over 2–3 s.
public enum FaceMotion {
    public static let frameIntervalMilliseconds: ClosedRange<Int64> = 55...95

    /// A live person performing `actions` in order. `spontaneousBlinks: false` models an adversary's
    /// scripted motion, which contains exactly the actions asked for.
    public static func performing(_ actions: [ChallengeAction], spontaneousBlinks: Bool = true,
                                  using random: inout SeededRandom) -> [MotionFrame] {
        var poses = [(yaw: Double, pitch: Double, eyes: Double)]()
        let headYaw = 2 * random.nextGaussian()
        let headPitch = 2 * random.nextGaussian()
        func neutral(_ count: Int, _ random: inout SeededRandom) {
            for _ in 0..<count {
                let blinking = spontaneousBlinks && Double.random(in: 0..<1, using: &random) < 0.02
                poses.append((headYaw + 2.5 * random.nextGaussian(), headPitch + 2.5 * random.nextGaussian(),
                              blinking ? Double.random(in: 0.05...0.18, using: &random) : openEyes(&random)))
            }
        }
        neutral(Int.random(in: 4...6, using: &random), &random)
        for action in actions {
            switch action {
            case .turnLeft, .turnRight:
                let sign: Double = action == .turnLeft ? -1 : 1
                let peak = sign * max(0, 33 + 4 * random.nextGaussian())
                for fraction in ramp(&random) {
                    poses.append((headYaw + fraction * peak + 1.5 * random.nextGaussian(),
                                  headPitch + 3 * random.nextGaussian(), openEyes(&random)))
                }
            case .lookUp, .lookDown:
                let sign: Double = action == .lookUp ? 1 : -1
                let peak = sign * max(0, 26 + 3.5 * random.nextGaussian())
                for fraction in ramp(&random) {
                    poses.append((headYaw + 3 * random.nextGaussian(),
                                  headPitch + fraction * peak + 1.5 * random.nextGaussian(), openEyes(&random)))
                }
            case .blink:
                neutral(Int.random(in: 1...2, using: &random), &random)
                var eyes = [Double.random(in: 0.35...0.5, using: &random)]
                for _ in 0..<Int.random(in: 1...2, using: &random) { eyes.append(Double.random(in: 0.02...0.15, using: &random)) }
                eyes.append(Double.random(in: 0.45...0.6, using: &random))
                for value in eyes {
                    poses.append((headYaw + 2.5 * random.nextGaussian(), headPitch + 2.5 * random.nextGaussian(), value))
                }
            }
            neutral(Int.random(in: 2...3, using: &random), &random)
        }
        neutral(Int.random(in: 2...4, using: &random), &random)
        return timed(poses, using: &random)
    }

    /// Something flat held in front of the camera (a print, a still on a screen): pose within a
    /// degree or two of frontal, eyes fixed open, for `frameCount` frames.
    public static func still(frameCount: Int, using random: inout SeededRandom) -> [MotionFrame] {
        let eyes = Double.random(in: 0.8...0.95, using: &random)
        let poses = (0..<frameCount).map { _ in
            (yaw: 1.5 * random.nextGaussian(), pitch: 1.5 * random.nextGaussian(), eyes: eyes + 0.01 * random.nextGaussian())
        }
        return timed(poses, using: &random)
    }

    /// Fractions of the peak for one turn or look: up over three frames, hold, down over three.
    private static func ramp(_ random: inout SeededRandom) -> [Double] {
        [0.3, 0.6, 0.85] + Array(repeating: 1.0, count: Int.random(in: 2...4, using: &random)) + [0.7, 0.4, 0.15]
    }

    private static func openEyes(_ random: inout SeededRandom) -> Double {
        min(1, max(0.65, 0.9 + 0.03 * random.nextGaussian()))
    }

    private static func timed(_ poses: [(yaw: Double, pitch: Double, eyes: Double)], using random: inout SeededRandom) -> [MotionFrame] {
        var time = Int64.random(in: 0...40, using: &random)
        var frames = [MotionFrame]()
        frames.reserveCapacity(poses.count)
        for pose in poses {
            frames.append(MotionFrame(timeMilliseconds: time, yawDegrees: clamp(pose.yaw, -180, 180),
                                      pitchDegrees: clamp(pose.pitch, -90, 90), eyesOpen: clamp(pose.eyes, 0, 1)))
            time += Int64.random(in: frameIntervalMilliseconds, using: &random)
        }
        return frames
    }

    static func clamp(_ value: Double, _ low: Double, _ high: Double) -> Double { min(high, max(low, value)) }
}
