import Foundation

/// The replay guard's memory: the codes of every frame received (in a ring of at most `framesMax`,
/// oldest forgotten first, and none kept past `retentionSeconds`), and for each code a lookup by
/// the first `ReplayCode.indexedChunks` 32-bit chunks.
///
/// A frame is *near* a remembered one when their codes differ in at most `hammingMax` bits. The
/// search finds candidates sharing at least one whole chunk with the frame, then measures the
/// distance: a nudged replay keeps a given chunk intact with probability (1 − θ/π)^32 (0.69 for
/// noise of 3e-3 per component), so one of four survives in 99 % of frames; codes of other
/// people share a chunk by chance once in 2^32. Not thread-safe: the stores hold it under a lock.
///
/// Layout: frame number `seq` (counted from 0 since creation) lives at slot `seq % framesMax`.
/// `heads[key]` is the newest frame with that chunk key and `previous[slot·chunks + c]` the next
/// older one with the same key of chunk c, so a lookup walks newest first and stops at a frame
/// older than `oldest` (forgotten; its slot may hold a newer frame). At most `chainStepsMax` steps
/// per chunk bound a lookup whatever was stored. About 210 bytes per remembered
/// frame (code 64, times, ids and challenge key 25, chains 32, lookup entries ~85).
public struct ReplayCodeIndex: Sendable {
    public let framesMax: Int
    public let retentionSeconds: Double
    public let hammingMax: Int
    public static let chainStepsMax = 256

    private var codes: [ReplayCode] = []
    private var seenAtMs: [Int64] = []
    private var captureIDs: [Int64] = []
    /// Per frame, a key of the challenge its capture cited (0 when restored from storage).
    private var challengeKeys: [UInt64] = []
    private var forgotten: [Bool] = []
    private var previous: [Int] = []
    private var heads: [UInt64: Int] = [:]
    /// Oldest remembered frame number and the next one to assign.
    private var oldest = 0
    private var next = 0

    public init(framesMax: Int, retentionSeconds: Double, hammingMax: Int) {
        precondition(framesMax > 0 && retentionSeconds > 0 && (0..<ReplayCode.bitCount).contains(hammingMax))
        self.framesMax = framesMax
        self.retentionSeconds = retentionSeconds
        self.hammingMax = hammingMax
    }

    /// Frames remembered (forgotten-by-erasure ones included until they age out).
    public var count: Int { next - oldest }

    /// How many of `frames` are near a frame remembered before this call; then remembers them all
    /// as capture `captureID` received at `nowMs`. Frames of one capture are not compared with
    /// each other (identical frames within a capture are `frames_identical`'s business), nor with
    /// frames of captures that cited the same challenge (`challengeKey`, never 0): of two requests
    /// racing with one capture and one challenge, the one that lost the challenge may be screened
    /// first, and the winner must not then be a replay of the loser — the loser already fails
    /// `challenge_used`, and a replay under any other challenge is still near.
    public mutating func screenAndRemember(_ frames: [ReplayCode], captureID: Int64, challengeKey: UInt64, nowMs: Int64) -> Int {
        precondition(challengeKey != 0, "0 marks restored frames")
        expire(nowMs: nowMs)
        let near = frames.reduce(0) { $0 + (isNear($1, otherThan: challengeKey) ? 1 : 0) }
        for frame in frames { remember(frame, captureID: captureID, challengeKey: challengeKey, atMs: nowMs) }
        return near
    }

    /// Remembers frames read back from durable storage (start-up), without screening them.
    public mutating func restore(_ frames: some Sequence<ReplayCode>, captureID: Int64, atMs: Int64) {
        for frame in frames { remember(frame, captureID: captureID, challengeKey: 0, atMs: atMs) }
    }

    /// Stops matching the frames of these captures (an erased customer's). Scans the ring: erasure
    /// is rare, and a per-capture map would cost memory on every frame.
    public mutating func forget(captureIDs erased: Set<Int64>) {
        guard !erased.isEmpty else { return }
        for seq in oldest..<next {
            let slot = seq % framesMax
            if erased.contains(captureIDs[slot]) { forgotten[slot] = true }
        }
    }

    func isNear(_ frame: ReplayCode, otherThan challengeKey: UInt64) -> Bool {
        for chunk in 0..<ReplayCode.indexedChunks {
            var candidate = heads[frame.chunkKey(chunk)]
            var steps = 0
            while let seq = candidate, seq >= oldest, steps < Self.chainStepsMax {
                let slot = seq % framesMax
                // Distance first: nearly every candidate fails it, and it needs no other array's cache line.
                if codes[slot].hammingDistance(to: frame) <= hammingMax && !forgotten[slot] && challengeKeys[slot] != challengeKey {
                    return true
                }
                let older = previous[slot * ReplayCode.indexedChunks + chunk]
                candidate = older >= 0 && older < seq ? older : nil
                steps += 1
            }
        }
        return false
    }

    private mutating func remember(_ frame: ReplayCode, captureID: Int64, challengeKey: UInt64, atMs: Int64) {
        if next - oldest == framesMax { forgetOldest() }
        let seq = next
        let slot = seq % framesMax
        let chunks = ReplayCode.indexedChunks
        if slot == codes.count {
            codes.append(frame)
            seenAtMs.append(atMs)
            captureIDs.append(captureID)
            challengeKeys.append(challengeKey)
            forgotten.append(false)
            previous.append(contentsOf: repeatElement(-1, count: chunks))
        } else {
            codes[slot] = frame
            seenAtMs[slot] = atMs
            captureIDs[slot] = captureID
            challengeKeys[slot] = challengeKey
            forgotten[slot] = false
        }
        for chunk in 0..<chunks {
            let key = frame.chunkKey(chunk)
            previous[slot * chunks + chunk] = heads[key] ?? -1
            heads[key] = seq
        }
        next += 1
    }

    private mutating func expire(nowMs: Int64) {
        let horizonMs = nowMs - Int64(retentionSeconds * 1000)
        while oldest < next && seenAtMs[oldest % framesMax] <= horizonMs { forgetOldest() }
    }

    private mutating func forgetOldest() {
        let slot = oldest % framesMax
        for chunk in 0..<ReplayCode.indexedChunks {
            let key = codes[slot].chunkKey(chunk)
            if heads[key] == oldest { heads[key] = nil }
        }
        oldest += 1
    }
}
