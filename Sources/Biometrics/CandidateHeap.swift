/// The best `capacity` (score, slot) pairs seen so far: a min-heap, so the weakest kept score is
/// at the root and a new score is compared against it once.
struct CandidateHeap {
    let capacity: Int
    private(set) var scores: [Float] = []
    private(set) var slots: [Int32] = []

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        scores.reserveCapacity(capacity)
        slots.reserveCapacity(capacity)
    }

    var count: Int { scores.count }
    var isFull: Bool { scores.count == capacity }

    /// The score a newcomer must beat to enter: −∞ until the heap is full.
    var entryScore: Float { isFull ? scores[0] : -.infinity }

    mutating func insert(_ score: Float, slot: Int32) {
        if scores.count < capacity {
            scores.append(score)
            slots.append(slot)
            siftUp(scores.count - 1)
        } else if score > scores[0] {
            scores[0] = score
            slots[0] = slot
            siftDown(0)
        }
    }

    mutating func merge(_ other: CandidateHeap) {
        for index in 0..<other.count { insert(other.scores[index], slot: other.slots[index]) }
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard scores[child] < scores[parent] else { return }
            scores.swapAt(child, parent)
            slots.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let count = scores.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            var smallest = left
            if left + 1 < count, scores[left + 1] < scores[left] { smallest = left + 1 }
            guard scores[smallest] < scores[parent] else { return }
            scores.swapAt(smallest, parent)
            slots.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
