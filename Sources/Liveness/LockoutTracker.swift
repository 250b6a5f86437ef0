import FacePayCore
import Foundation
import Synchronization

/// A failure budget: after `failuresMax` failures of one subject within `windowSeconds`, that
/// subject is locked for `durationSeconds`. The liveness lockout of a device (429
/// `device_locked`) is one; the attempt budgets (failed matches per device, per hint bucket, per
/// customer) are others. The state is in memory; the caller persists each failure and, at
/// start-up, replays the persisted ones in time order through `recordFailure(deviceID:at:)`,
/// which rebuilds exactly the same locks, so a restart lifts nothing. Bounded by the number of
/// subjects that failed recently; entries with nothing left to remember are pruned.
public final class LockoutTracker: Sendable {
    private struct DeviceState {
        /// Failure times inside the window, oldest first; never more than `lockoutFailuresMax`.
        var failures: [Date] = []
        var lockedUntil: Date?
    }

    private let state = Mutex<[String: DeviceState]>([:])
    private let failuresMax: Int
    private let windowSeconds: Double
    private let durationSeconds: Double
    private let clock: any WallClock
    /// Past this many tracked devices, idle entries are pruned on the next failure.
    private let devicesTrackedSoftMax: Int

    public init(failuresMax: Int, windowSeconds: Double, durationSeconds: Double, clock: any WallClock,
                devicesTrackedSoftMax: Int = 10_000) {
        precondition(failuresMax > 0 && windowSeconds > 0 && durationSeconds >= 0 && devicesTrackedSoftMax > 0)
        self.failuresMax = failuresMax
        self.windowSeconds = windowSeconds
        self.durationSeconds = durationSeconds
        self.clock = clock
        self.devicesTrackedSoftMax = devicesTrackedSoftMax
    }

    /// The liveness lockout of `settings`.
    public convenience init(settings: LivenessSettings, clock: any WallClock, devicesTrackedSoftMax: Int = 10_000) {
        settings.validate()
        self.init(failuresMax: settings.lockoutFailuresMax, windowSeconds: settings.lockoutWindowSeconds,
                  durationSeconds: settings.lockoutDurationSeconds, clock: clock, devicesTrackedSoftMax: devicesTrackedSoftMax)
    }

    /// How far back persisted failures matter: a failure older than this can neither count in a
    /// window nor have started a lock that still holds.
    public var memorySeconds: Double { windowSeconds + durationSeconds }

    /// When the device's lockout ends, or nil when it is not locked (for `Retry-After`).
    public func lockedUntil(deviceID: String) -> Date? {
        let now = clock.now()
        return state.withLock { devices in
            guard let until = devices[deviceID]?.lockedUntil, until > now else { return nil }
            return until
        }
    }

    public func isLocked(deviceID: String) -> Bool { lockedUntil(deviceID: deviceID) != nil }

    /// Records one liveness failure. Returns true when this failure engaged the lockout (the caller
    /// writes the audit event and counts it in metrics); false otherwise, including while locked.
    @discardableResult
    public func recordFailure(deviceID: String) -> Bool {
        recordFailure(deviceID: deviceID, at: clock.now())
    }

    /// Records a failure that happened at `now` (start-up replays persisted failures, oldest first).
    @discardableResult
    public func recordFailure(deviceID: String, at now: Date) -> Bool {
        let windowStart = now.addingTimeInterval(-windowSeconds)
        return state.withLock { devices in
            if devices.count > devicesTrackedSoftMax {
                devices = devices.filter { entry in
                    (entry.value.lockedUntil.map { $0 > now } ?? false) || entry.value.failures.contains { $0 > windowStart }
                }
            }
            var device = devices[deviceID] ?? DeviceState()
            if let until = device.lockedUntil {
                if until > now { return false }
                device.lockedUntil = nil
            }
            device.failures.removeAll { $0 <= windowStart }
            device.failures.append(now)
            var engaged = false
            if device.failures.count >= failuresMax {
                device.failures.removeAll()
                device.lockedUntil = now.addingTimeInterval(durationSeconds)
                engaged = true
            }
            assert(device.failures.count < failuresMax, "failures are bounded by the lockout")
            devices[deviceID] = device
            return engaged
        }
    }
}
