import Crypto
import FacePayCore
import Foundation
import Stores
import Testing

/// The audit log's Merkle tree and receipts as every backend must keep them: the roots and proofs
/// built over the stored nodes are RFC 9162's, checked here by an independent implementation
/// (`ReferenceMerkle`: the RFC's definitions, recursively, over every leaf in memory).
@Suite("store contract: audit receipts")
struct AuditTreeContractTests {
    @Test("roots and proofs over the stored nodes equal an independent RFC 9162 computation over the events, also with stored nodes deleted",
          arguments: StoreBackend.allCases)
    func treeMatchesReference(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            let (customerID, _, _) = try await Contract.enrol(stores, depositMinor: 100_000, frame: Contract.frame(device: kiosk, key: "e"))
            try await Contract.openMerchantAccount(stores)
            _ = try await Contract.payConcurrently(stores, customerID: customerID, count: 280, amountMinor: 1, keyPrefix: "tree")
            let leaves = try await ReferenceMerkle.leaves(stores)
            let n = Int64(leaves.count)
            #expect(n > 256)
            let tree = AuditTree(store: stores.tree)
            for size in [0, 1, 2, 3, 15, 16, 17, 255, 256, 257, n] {
                #expect(try await tree.root(size: size) == ReferenceMerkle.root(leaves[0..<Int(size)]), "size \(size)")
            }
            // One node per 16 leaves, one per 256: the stored levels.
            #expect(try await stores.tree.auditTreeNodeCount(level: 4) == n / 16)
            #expect(try await stores.tree.auditTreeNodeCount(level: 8) == n / 256)
            #expect(try await stores.tree.auditTreeNodeCount(level: 12) == 0)

            for (old, new) in [(1, n), (2, 3), (16, n), (17, 257), (100, n), (256, n), (n - 1, n), (n, n), (0, n)] {
                let proof = try await tree.consistencyProof(from: old, to: new)
                let oldRoot = ReferenceMerkle.root(leaves[0..<Int(old)]), newRoot = ReferenceMerkle.root(leaves[0..<Int(new)])
                #expect(ReferenceMerkle.verifyConsistency(old: old, oldRoot: oldRoot, new: new, newRoot: newRoot, proof: proof), "\(old)→\(new)")
                #expect(AuditMerkleTree.verifyConsistency(oldSize: old, oldRoot: oldRoot, newSize: new, newRoot: newRoot, proof: proof))
                #expect(proof.count <= 2 * (64 - new.leadingZeroBitCount))  // O(log n)
            }
            for seq in [1, 2, 16, 17, 200, n] {
                let proof = try await tree.inclusionProof(seq: seq, size: n)
                let root = ReferenceMerkle.root(leaves[...])
                #expect(ReferenceMerkle.verifyInclusion(index: seq - 1, size: n, leaf: leaves[Int(seq - 1)], proof: proof, root: root), "seq \(seq)")
                #expect(AuditMerkleTree.verifyInclusion(leaf: leaves[Int(seq - 1)], index: seq - 1, size: n, proof: proof, root: root))
                // A wrong leaf does not verify.
                #expect(!AuditMerkleTree.verifyInclusion(leaf: leaves[Int(seq % n)], index: seq - 1, size: n, proof: proof, root: root))
            }

            // Stored nodes are a cache: deleted ones are folded again from the events.
            try await stores.tamper("DELETE FROM audit_tree_nodes WHERE (level = 4 AND idx = 3) OR level = 8")
            #expect(try await tree.root(size: n) == ReferenceMerkle.root(leaves[...]))
            let proof = try await tree.consistencyProof(from: 100, to: n)
            #expect(ReferenceMerkle.verifyConsistency(old: 100, oldRoot: ReferenceMerkle.root(leaves[0..<100]), new: n,
                                                      newRoot: ReferenceMerkle.root(leaves[...]), proof: proof))
        }
    }

    @Test("an event rewritten with every later hash recomputed passes the chain check but fails against a receipt taken before the rewrite",
          arguments: StoreBackend.allCases)
    func rewriteFailsAgainstReceipt(_ backend: StoreBackend) async throws {
        try await backend.with { (stores: BackendStores) async throws in
            let keys = try AuditSigningKeys.parse(AuditSigningKeys.newKeyLine(now: Date()), source: "test")
            let tree = AuditTree(store: stores.tree)
            func receipt() async throws -> Data {
                let head = try await stores.audit.auditHead() ?? AuditHead.genesis
                return try keys.sign(treeSize: head.seq, rootHash: try await tree.root(size: head.seq), headHash: head.hash, now: Date()).json
            }
            let (customerID, _, _) = try await Contract.enrol(stores, depositMinor: 10_000, frame: Contract.frame(device: kiosk, key: "e"))
            let early = try await receipt()   // before the event the insider rewrites
            for index in 0..<6 { _ = try await Contract.pay(stores, customerID: customerID, amountMinor: 10, key: "a\(index)") }
            let before = try await receipt()
            for index in 0..<6 { _ = try await Contract.pay(stores, customerID: customerID, amountMinor: 10, key: "b\(index)") }

            // The insider rewrites one payment event's actor and recomputes every later hash.
            let events = try await stores.audit.auditEvents(AuditEventQuery(limit: 1_000)).events
            let target = try #require(events.first { $0.action.hasPrefix("payment.") })
            var previous = target.prevHash
            var statements: [String] = []
            for event in events where event.seq >= target.seq {
                let rewritten = AuditEvent(seq: event.seq, eventID: event.eventID, time: event.time,
                                           actor: event.seq == target.seq ? "operator" : event.actor, action: event.action,
                                           subject: event.subject, detail: event.detail, prevHash: previous, hash: "")
                let hash = AuditChain.hash(prevHash: previous, canonicalForm: rewritten.canonicalForm)
                statements.append("UPDATE audit_events SET actor = '\(rewritten.actor)', prev_hash = '\(previous)', hash = '\(hash)' WHERE seq = \(event.seq)")
                previous = hash
            }
            switch backend {
            case .sqlite:
                // ... and puts the trigger back, as a careful insider would.
                try await stores.tamper("DROP TRIGGER audit_events_no_update; " + statements.joined(separator: "; ") + """
                    ; CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
                    BEGIN SELECT RAISE(ABORT, 'audit events are immutable'); END
                    """)
            case .postgres:
                // One statement per call: the extended protocol takes one.
                for statement in ["ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete"] + statements
                    + ["UPDATE audit_chain_head SET hash = '\(previous)' WHERE id = 1",
                       "ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_or_delete"] {
                    try await stores.tamper(statement)
                }
            }
            // The plain chain check (its first run: from the first event) sees a consistent log.
            let report = try await stores.audit.verifyIntegrity(newSinceLastRun: 10)
            #expect(report.ok, "\(report.problems)")

            let after = try await receipt()
            let results = try await ReceiptCheck.check([("1-early.json", early), ("2-before.json", before), ("3-after.json", after)],
                                                       trusted: keys.publicKeys, reader: stores.audit)
            let verdicts = Dictionary(uniqueKeysWithValues: results.map { ($0.name, $0.verdict) })
            #expect(verdicts["1-early.json"] == .extended)
            if case .rootDiffers = verdicts["2-before.json"] {} else { Issue.record("the rewrite went unnoticed: \(String(describing: verdicts["2-before.json"]))") }
            #expect(verdicts["3-after.json"] == .extended)  // a receipt of the rewritten log is, of course, extended

            // A receipt altered after signing, or signed by a key the auditor does not trust, is refused.
            let forged = String(decoding: early, as: UTF8.self).replacingOccurrences(of: "\"tree_size\":", with: "\"tree_size\":1")
            let stranger = try AuditSigningKeys.parse(AuditSigningKeys.newKeyLine(now: Date()), source: "other")
            let head = try #require(try await stores.audit.auditHead())
            let foreign = try stranger.sign(treeSize: head.seq, rootHash: try await tree.root(size: head.seq), headHash: head.hash, now: Date()).json
            let refused = try await ReceiptCheck.check([("forged.json", Data(forged.utf8)), ("foreign.json", foreign), ("junk.json", Data("{}".utf8))],
                                                       trusted: keys.publicKeys, reader: stores.audit)
            let refusedVerdicts = Dictionary(uniqueKeysWithValues: refused.map { ($0.name, $0.verdict) })
            #expect(refusedVerdicts["forged.json"] == .badSignature)
            #expect(refusedVerdicts["foreign.json"] == .unknownKey(stranger.current.id))
            #expect(refusedVerdicts["junk.json"] == .notAReceipt)

            // An edit that does not recompute the hash breaks the chain itself: a receipt past it is refused.
            let last = try #require(try await stores.audit.auditHead()).seq
            let edit = "UPDATE audit_events SET subject = 'rewritten' WHERE seq = \(last)"
            switch backend {
            case .sqlite: try await stores.tamper("DROP TRIGGER audit_events_no_update; " + edit)
            case .postgres:
                try await stores.tamper("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_or_delete")
                try await stores.tamper(edit)
            }
            let edited = try await ReceiptCheck.check([("after.json", after), ("early.json", early)], trusted: keys.publicKeys, reader: stores.audit)
            let editedVerdicts = Dictionary(uniqueKeysWithValues: edited.map { ($0.name, $0.verdict) })
            #expect(editedVerdicts["early.json"] == .extended)
            if case .chainBroken = editedVerdicts["after.json"] {} else { Issue.record("the edit went unnoticed: \(String(describing: editedVerdicts["after.json"]))") }
        }
    }
}

/// RFC 9162 §2.1 written from its definitions, independently of `AuditMerkleTree`: MTH by
/// recursion over all leaves, and proof checks that rebuild both roots by the same recursion
/// the proofs were defined by (not the RFC's iterative verifiers, which the product uses).
enum ReferenceMerkle {
    static func sha256(_ parts: [UInt8]...) -> Data { Data(SHA256.hash(data: parts.flatMap { $0 })) }

    static func leaves(_ stores: BackendStores) async throws -> [Data] {
        var result: [Data] = []
        var cursor: Int64?
        repeat {
            let page = try await stores.audit.auditEvents(AuditEventQuery(afterSeq: cursor, limit: 500))
            for event in page.events {
                let bytes = stride(from: 0, to: 64, by: 2).map { offset -> UInt8 in
                    let start = event.hash.index(event.hash.startIndex, offsetBy: offset)
                    return UInt8(event.hash[start..<event.hash.index(start, offsetBy: 2)], radix: 16)!
                }
                result.append(sha256([0], bytes))
            }
            cursor = page.nextCursor
        } while cursor != nil
        return result
    }

    static func split(_ n: Int) -> Int { var k = 1; while k * 2 < n { k *= 2 }; return k }

    static func root(_ leaves: ArraySlice<Data>) -> Data {
        switch leaves.count {
        case 0: return sha256([])
        case 1: return leaves.first!
        default:
            let k = split(leaves.count), a = leaves.startIndex
            return sha256([1], Array(root(leaves[a..<a + k])), Array(root(leaves[(a + k)...])))
        }
    }

    /// PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n]) or PATH(m-k, D[k:n]) : MTH(D[0:k]); the
    /// last hash is the top split's sibling.
    static func verifyInclusion(index: Int64, size: Int64, leaf: Data, proof: [Data], root: Data) -> Bool {
        var rest = proof
        func rebuild(_ m: Int, _ n: Int) -> Data? {
            if n == 1 { return leaf }
            guard let sibling = rest.popLast() else { return nil }
            let k = split(n)
            if m < k { return rebuild(m, k).map { sha256([1], Array($0), Array(sibling)) } }
            return rebuild(m - k, n - k).map { sha256([1], Array(sibling), Array($0)) }
        }
        return rebuild(Int(index), Int(size)) == root && rest.isEmpty
    }

    /// SUBPROOF(m, D[n], b): rebuilds (old root, new root) from the proof, the old tree's root
    /// standing for itself where b says it is known.
    static func verifyConsistency(old: Int64, oldRoot: Data, new: Int64, newRoot: Data, proof: [Data]) -> Bool {
        if old == 0 || old == new { return proof.isEmpty && (old == 0 || oldRoot == newRoot) }
        var rest = proof
        func rebuild(_ m: Int, _ n: Int, _ known: Bool) -> (Data, Data)? {
            if m == n {
                if known { return (oldRoot, oldRoot) }
                guard let hash = rest.popLast() else { return nil }
                return (hash, hash)
            }
            guard let sibling = rest.popLast() else { return nil }
            let k = split(n)
            if m <= k {
                guard let (o, r) = rebuild(m, k, known) else { return nil }
                return (o, sha256([1], Array(r), Array(sibling)))
            }
            guard let (o, r) = rebuild(m - k, n - k, false) else { return nil }
            return (sha256([1], Array(sibling), Array(o)), sha256([1], Array(sibling), Array(r)))
        }
        guard let (o, r) = rebuild(Int(old), Int(new), true) else { return false }
        return o == oldRoot && r == newRoot && rest.isEmpty
    }
}

/// The tree's arithmetic on known answers: the leaves and roots of Certificate Transparency's
/// Merkle test vectors (certificate-transparency-go, merkle tests), for every size 1…8.
@Suite("audit Merkle tree: known answers")
struct AuditMerkleKnownAnswerTests {
    static let leaves = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
    static let roots = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    @Test("the streaming root and the reference root give CT's roots; the empty tree's root is SHA-256 of nothing")
    func knownRoots() throws {
        #expect(Hex.string(AuditMerkleTree.emptyRoot) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var accumulator = AuditMerkleTree.Accumulator()
        var hashes: [Data] = []
        for (index, leaf) in Self.leaves.enumerated() {
            let hash = AuditMerkleTree.leafHash(eventHash: Data(try #require(Hex.data(leaf))))
            accumulator.append(leafHash: hash)
            hashes.append(hash)
            #expect(Hex.string(accumulator.root) == Self.roots[index], "size \(index + 1)")
            #expect(Hex.string(ReferenceMerkle.root(hashes[...])) == Self.roots[index], "size \(index + 1)")
        }
        // Every proof between the sizes verifies, and fails against another size's root.
        for new in 1...8 {
            for old in 1...new {
                let ranges = AuditMerkleTree.consistencyRanges(from: Int64(old), to: Int64(new))
                let proof = ranges.map { ReferenceMerkle.root(hashes[Int($0.lowerBound)..<Int($0.upperBound)]) }
                let oldRoot = Data(try #require(Hex.data(Self.roots[old - 1]))), newRoot = Data(try #require(Hex.data(Self.roots[new - 1])))
                #expect(AuditMerkleTree.verifyConsistency(oldSize: Int64(old), oldRoot: oldRoot, newSize: Int64(new), newRoot: newRoot, proof: proof))
                if old < new {
                    #expect(!AuditMerkleTree.verifyConsistency(oldSize: Int64(old), oldRoot: newRoot, newSize: Int64(new), newRoot: newRoot, proof: proof))
                }
                let index = old - 1
                let path = AuditMerkleTree.inclusionRanges(index: Int64(index), size: Int64(new))
                    .map { ReferenceMerkle.root(hashes[Int($0.lowerBound)..<Int($0.upperBound)]) }
                #expect(AuditMerkleTree.verifyInclusion(leaf: hashes[index], index: Int64(index), size: Int64(new), proof: path, root: newRoot))
            }
        }
    }
}
