import FacePayCore
import Foundation
import Synchronization

/// Locks a device out of biometric calls after `lockoutFailuresMax` liveness failures within
/// `lockoutWindowSeconds`, for `lockoutDurationSeconds` (429 `device_locked`). In memory: a restart
/// lifts every lockout (see LIVENESS.md). Bounded by the number of registered devices, since only
/// authenticated devices reach liveness; entries with nothing left to remember are pruned.
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

    public init(settings: LivenessSettings, clock: any WallClock, devicesTrackedSoftMax: Int = 10_000) {
        settings.validate()
        precondition(devicesTrackedSoftMax > 0)
        failuresMax = settings.lockoutFailuresMax
        windowSeconds = settings.lockoutWindowSeconds
        durationSeconds = settings.lockoutDurationSeconds
        self.clock = clock
        self.devicesTrackedSoftMax = devicesTrackedSoftMax
    }

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
        let now = clock.now()
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
