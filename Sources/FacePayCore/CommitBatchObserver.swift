import Synchronization

/// Who hears of each batch a group-commit writer committed, by its number of units (the server's
/// metrics: `facepay_commit_batch_size`). Set once the listener exists; unset, it does nothing.
public final class CommitBatchObserver: Sendable {
    private let observer = Mutex<(@Sendable (Int) -> Void)?>(nil)

    public init() {}

    public func set(_ observer: @escaping @Sendable (Int) -> Void) {
        self.observer.withLock { $0 = observer }
    }

    public func committed(units: Int) {
        observer.withLock { $0 }?(units)
    }
}
