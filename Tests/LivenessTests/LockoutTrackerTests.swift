import FacePayCore
import Foundation
import Testing
import Liveness

@Suite("Lockout")
struct LockoutTrackerTests {
    @Test func engagesOnFifthFailureAndLiftsAfterThePeriod() {
        let clock = ManualWallClock()
        let tracker = LockoutTracker(settings: LivenessSettings(), clock: clock)
        for _ in 0..<4 {
            #expect(tracker.recordFailure(deviceID: "T-1") == false)
            clock.advance(seconds: 10)
        }
        #expect(!tracker.isLocked(deviceID: "T-1"))
        #expect(tracker.recordFailure(deviceID: "T-1") == true)
        #expect(tracker.isLocked(deviceID: "T-1"))
        #expect(tracker.lockedUntil(deviceID: "T-1") == clock.now().addingTimeInterval(1_800))
        #expect(!tracker.isLocked(deviceID: "T-2"))
        // Failures while locked neither extend nor re-engage it.
        #expect(tracker.recordFailure(deviceID: "T-1") == false)
        clock.advance(seconds: 1_799)
        #expect(tracker.isLocked(deviceID: "T-1"))
        clock.advance(seconds: 1)
        #expect(!tracker.isLocked(deviceID: "T-1"))
        // A fresh start: one failure does not lock again.
        #expect(tracker.recordFailure(deviceID: "T-1") == false)
        #expect(!tracker.isLocked(deviceID: "T-1"))
    }

    @Test func failuresOutsideTheWindowDoNotCount() {
        let clock = ManualWallClock()
        let tracker = LockoutTracker(settings: LivenessSettings(), clock: clock)
        for _ in 0..<4 { tracker.recordFailure(deviceID: "T-1") }
        clock.advance(seconds: 180)
        #expect(tracker.recordFailure(deviceID: "T-1") == false)
        #expect(!tracker.isLocked(deviceID: "T-1"))
        // Sliding window: 4 more within 180 s of this one lock it.
        for _ in 0..<3 { #expect(tracker.recordFailure(deviceID: "T-1") == false) }
        #expect(tracker.recordFailure(deviceID: "T-1") == true)
    }

    @Test func configurable() {
        var settings = LivenessSettings()
        settings.lockoutFailuresMax = 2
        settings.lockoutWindowSeconds = 10
        settings.lockoutDurationSeconds = 60
        let clock = ManualWallClock()
        let tracker = LockoutTracker(settings: settings, clock: clock)
        #expect(!tracker.recordFailure(deviceID: "K-1"))
        #expect(tracker.recordFailure(deviceID: "K-1"))
        clock.advance(seconds: 60)
        #expect(!tracker.isLocked(deviceID: "K-1"))
    }

    @Test func concurrentFailuresEngageExactlyOnce() async {
        let clock = ManualWallClock()
        let tracker = LockoutTracker(settings: LivenessSettings(), clock: clock)
        let engaged = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { tracker.recordFailure(deviceID: "T-1") } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(engaged == 1)
        #expect(tracker.isLocked(deviceID: "T-1"))
    }
}
