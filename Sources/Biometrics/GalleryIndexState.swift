/// What `GalleryIndex` guards with its `Mutex`: the published snapshot, the lookup tables, and
/// the readers and removals that decide when removed templates may be zeroed.
/// The index's mutable state, guarded by its `Mutex`.
struct IndexState {
    var snapshot: GallerySnapshot
    var slotBySubject: [String: Int32] = [:]
    var bucketBySubject: [String: String] = [:]
    var slotsByBucket: [String: [Int32]] = [:]
    /// Running readers (searches, index builds) by the generation of the snapshot they hold.
    var activeReaders: [UInt64: Int] = [:]
    /// Removed templates to zero once no reader of an older generation runs.
    var pendingWipes: [PendingWipe] = []

    init(snapshot: GallerySnapshot) {
        self.snapshot = snapshot
    }
}

struct PendingWipe {
    let generation: UInt64
    let segment: TemplateSegment
    let offset: Int
}
