import Foundation

/// Building and maintaining the approximate (inverted-file) path of `GalleryIndex`.
extension GalleryIndex {
    /// (Re)trains the approximate index on the current templates and rewrites the template
    /// storage in list order, so each list is a contiguous run of slots that a search reads
    /// sequentially instead of by random access. Training and the copy run without blocking
    /// searches or writes; the install (under the lock) replays removals and additions made
    /// meanwhile and renumbers the lookup tables (O(N) dictionary updates, ~0.1 s at a million).
    /// Returns false when nothing was installed (fewer than two templates, or a compaction
    /// renumbered slots during the build: call again).
    @discardableResult
    public func rebuildApproximateIndex(progress: (@Sendable (GalleryBuildProgress) -> Void)? = nil) -> Bool {
        // Registered like a search: the build reads template memory that a removal may zero.
        let (snapshot, _, generation) = beginReading()
        defer { endReading(generation) }
        let sampleMax = (configuration.approximateListCount ?? InvertedFileIndex.defaultListCount(templateCount: snapshot.liveCount))
            * configuration.approximateTrainingSamplesPerList
        guard
            let built = InvertedFileIndex.build(
                snapshot: snapshot, listCount: configuration.approximateListCount,
                iterations: configuration.approximateTrainingIterations, sampleMax: sampleMax,
                threads: configuration.threadsMax, progress: progress)
        else { return false }

        // Copy the live templates list by list into fresh segments.
        var fresh = GallerySnapshot(paddedDimension: paddedDimension)
        var mapping = [Int32](repeating: -1, count: snapshot.slotCount)
        var lists: [[Int32]] = []
        lists.reserveCapacity(built.lists.count)
        for list in built.lists {
            lists.append(list.map { slot in
                let moved = Self.copy(slot: slot, from: snapshot, into: &fresh)
                mapping[Int(slot)] = moved
                return moved
            })
        }
        progress?(GalleryBuildProgress(phase: .reorderingStorage, completed: fresh.slotCount, total: fresh.slotCount))

        return state.withLock { state in
            let current = state.snapshot
            guard current.storageEpoch == snapshot.storageEpoch else { return false }
            // Removed since the snapshot: remove and zero the copy (no reader has seen `fresh`).
            for slot in 0..<snapshot.slotCount where current.dead.contains(slot) && !snapshot.dead.contains(slot) {
                let moved = mapping[slot]
                guard moved >= 0 else { continue }
                fresh.markRemoved(moved)
                let (segment, offset) = fresh.location(Int(moved))
                segment.wipe(offset)
            }
            // Added since the snapshot: copy and assign to their nearest list.
            mapping += [Int32](repeating: -1, count: current.slotCount - snapshot.slotCount)
            var approximate = InvertedFileIndex(
                centroids: built.centroids, lists: lists, trainedTemplateCount: built.trainedTemplateCount,
                storageEpoch: current.storageEpoch + 1)
            for slot in snapshot.slotCount..<current.slotCount where current.isLive(Int32(slot)) {
                let moved = Self.copy(slot: Int32(slot), from: current, into: &fresh)
                mapping[slot] = moved
                approximate.add(slot: moved, vector: fresh.vector(moved))
            }
            fresh.generation = current.generation
            fresh.storageEpoch = current.storageEpoch + 1
            fresh.approximate = approximate
            Self.renumber(&state, mapping)
            state.snapshot = fresh
            return true
        }
    }

    /// Whether the approximate index is missing or trained on under a quarter of today's
    /// templates, while the gallery is large enough to use it.
    public var approximateIndexIsStale: Bool {
        state.withLock { state in
            guard state.snapshot.liveCount >= configuration.approximateSearchTemplatesMin else { return false }
            guard let approximate = state.snapshot.approximate else { return true }
            return state.snapshot.liveCount > 4 * approximate.trainedTemplateCount
        }
    }

    /// Lists an approximate search probes for a gallery with `listCount` lists.
    func probeCount(listCount: Int) -> Int {
        min(listCount, max(configuration.approximateProbeCountMin, Int((Double(listCount) * configuration.approximateProbeFraction).rounded(.up))))
    }
}
