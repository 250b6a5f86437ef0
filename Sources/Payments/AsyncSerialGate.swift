import Synchronization

/// An async mutual-exclusion gate: `run` bodies execute one at a time, in arrival order, and may
/// suspend while holding it (an actor would let a second caller in at every `await`).
///
/// Used where a check and the write it guards must not interleave with another caller's, such as
/// enrolment's duplicate-face search and the insert of the new template. Waiters are bounded by
/// the requests in flight (`Limits.inFlightRequestsMax`).
final class AsyncSerialGate: Sendable {
    private struct State {
        var held = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    init() {}

    func run<T>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let enterNow = state.withLock { state -> Bool in
                guard state.held else {
                    state.held = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if enterNow { continuation.resume() }
        }
    }

    /// Hands the gate to the oldest waiter (it stays held), or opens it.
    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst()
        }
        next?.resume()
    }
}
