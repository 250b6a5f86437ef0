import FacePayCore
import Foundation

/// The templates' key ids, seen by `facepay keys` on either backend: which ids rows use, which
/// rows no configured key opens, and the re-seal of a rotation (`resealTemplates`, the same walk
/// on every backend).
public protocol TemplateKeyStore: Sendable {
    /// Key ids still named by some template row (an old key may be removed when it is not listed).
    func templateKeyIDsInUse() async throws -> [String]

    /// Every template row (all models) that does not open with `keyRing`; keeps no plaintext.
    func undecryptableTemplates(keyRing: TemplateKeyRing) async throws -> [UndecryptableTemplate]

    /// One batch of a re-seal pass: at most `batchSize` rows after `after`, in (customer, model)
    /// order, not under the ring's current key, re-sealed in one transaction that is serialised
    /// with the seal of every enrolment (an enrolment that sealed with the old key before the key
    /// file changed has committed, and is seen, by the time the batch reads).
    func resealBatch(after: TemplateRowKey, keyRing: TemplateKeyRing, batchSize: Int) async throws -> TemplateResealBatch
}

/// A template row's primary key, the order a re-seal walks in.
public struct TemplateRowKey: Sendable, Hashable {
    public let customerID: String
    public let model: String

    public init(customerID: String, model: String) {
        self.customerID = customerID
        self.model = model
    }

    /// Before every row.
    public static let start = TemplateRowKey(customerID: "", model: "")
}

/// What one re-seal batch did.
public struct TemplateResealBatch: Sendable {
    public let resealed: Int
    /// The last row the batch read (nil: nothing left after its cursor).
    public let last: TemplateRowKey?
    public let undecryptable: [UndecryptableTemplate]

    public init(resealed: Int, last: TemplateRowKey?, undecryptable: [UndecryptableTemplate]) {
        self.resealed = resealed
        self.last = last
        self.undecryptable = undecryptable
    }
}

extension TemplateKeyStore {
    /// Re-seals every template not under the ring's current key, in batches of `batchSize` rows
    /// per transaction so payments keep flowing during a rotation, walking the primary key so a
    /// row that does not open is skipped (and reported) rather than retried for ever. Passes
    /// repeat until one finds nothing more to re-seal. Returns rows re-sealed and rows skipped.
    public func resealTemplates(keyRing: TemplateKeyRing, batchSize: Int = 500) async throws
        -> (resealed: Int, undecryptable: [UndecryptableTemplate]) {
        precondition(batchSize > 0)
        var resealed = 0
        var skipped: [String: UndecryptableTemplate] = [:]
        while true {
            var after = TemplateRowKey.start
            var resealedThisPass = 0
            while true {
                let batch = try await resealBatch(after: after, keyRing: keyRing, batchSize: batchSize)
                resealedThisPass += batch.resealed
                for failure in batch.undecryptable { skipped["\(failure.customerID)|\(failure.model)"] = failure }
                guard let last = batch.last else { break }
                after = last
            }
            resealed += resealedThisPass
            // A row written under an older key while this pass ran (behind its cursor) is caught
            // by the next pass; a pass with nothing to re-seal ends it.
            if resealedThisPass == 0 { break }
        }
        return (resealed, skipped.values.sorted { ($0.customerID, $0.model) < ($1.customerID, $1.model) })
    }
}

extension TemplateKeyRing {
    /// `open`, with a row that does not open described by its stable code
    /// (`template_key_missing`, `template_corrupt`) instead of thrown: loaders list such rows and
    /// go on, since one damaged row or one lost key must not stop the rest.
    public func opening(_ sealed: Data, keyID: String, customerID: String, model: String) -> Result<[Float], FacePayError> {
        do {
            return .success(try open(sealed, keyID: keyID, customerID: customerID, model: model))
        } catch let error as FacePayError {
            return .failure(error)
        } catch {
            return .failure(FacePayError(.internalFailure, code: "template_corrupt", detail: "template of \(customerID) does not open"))
        }
    }
}
