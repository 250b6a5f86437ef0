import Biometrics
import FacePayCore
import Stores
import Synchronization

/// One in-memory gallery index per configured model, built from the database at start-up.
/// Templates are decrypted only into these indexes.
public final class Galleries: Sendable {
    public let models: ModelRegistry
    private let indexes: [String: GalleryIndex]
    /// Searches running now: one search may use both cores only when it is alone.
    private let searchesInFlight = Atomic<Int>(0)

    public init(models: ModelRegistry = .builtIn) {
        self.models = models
        var indexes: [String: GalleryIndex] = [:]
        for profile in models.profiles.values {
            indexes[profile.id] = GalleryIndex(modelID: profile.id, dimension: profile.dimension)
        }
        self.indexes = indexes
    }

    public func index(for modelID: String) throws -> GalleryIndex {
        guard let index = indexes[modelID] else {
            throw FacePayError(.badRequest, code: "unknown_model", detail: "model '\(modelID)' is not configured")
        }
        return index
    }

    /// A 1:N search that splits its scan over both cores only when no other search is running
    /// (an idle server answers a large search sooner; a busy one keeps each search on one core,
    /// where splitting would only add coordination).
    public func search(_ index: GalleryIndex, _ probe: Embedding, bucket: String?) -> GallerySearchResult {
        let alone = searchesInFlight.add(1, ordering: .relaxed).newValue == 1
        defer { searchesInFlight.subtract(1, ordering: .relaxed) }
        return index.searchResult(probe, bucket: bucket, k: OpenSetDecision.candidatesNeeded,
                                  options: GallerySearchOptions(threadsMax: alone ? nil : 1))
    }

    /// Removes a customer from every model's index: effective for every search that starts after.
    public func removeEverywhere(customerID: String) {
        for index in indexes.values { _ = index.remove(subjectID: customerID) }
    }

    /// Adds one stored template (another node enrolled it); false when it is already there, or not
    /// loadable (the same checks as `load`).
    @discardableResult
    public func add(_ template: LoadedTemplate, model modelID: String) -> Bool {
        guard let index = indexes[modelID], case .entry(let entry) = Self.entry(template, model: modelID, dimension: index.dimension) else {
            return false
        }
        return index.add(subjectID: entry.subjectID, bucket: entry.bucket, embedding: entry.embedding)
    }

    enum Loadable {
        case entry(GalleryEntry)
        case skipped(UndecryptableTemplate)
    }

    /// The models this server holds an index for.
    public var modelIDs: [String] { indexes.keys.sorted() }

    /// The index entry of a template, or why it is skipped: authenticated but not of this model's
    /// shape, only a bug or a holder of the key writes such a row, and the index would trap on it.
    static func entry(_ template: LoadedTemplate, model modelID: String, dimension: Int) -> Loadable {
        guard template.values.count == dimension else {
            return .skipped(UndecryptableTemplate(customerID: template.customerID, model: modelID, keyID: template.keyID,
                                                  reason: "template_wrong_dimension"))
        }
        guard template.values.allSatisfy(\.isFinite) else {
            return .skipped(UndecryptableTemplate(customerID: template.customerID, model: modelID, keyID: template.keyID,
                                                  reason: "template_not_finite"))
        }
        return .entry(GalleryEntry(subjectID: template.customerID, bucket: template.phoneLast4,
                                     embedding: Embedding(trustedUnitVector: template.values)))
    }

    /// Templates skipped by the last `load` (none before it): identifiers and reasons only.
    public var undecryptableTemplates: [UndecryptableTemplate] { undecryptable.withLock { $0 } }
    private let undecryptable = Mutex<[UndecryptableTemplate]>([])

    /// Loads every stored template into the indexes; `progress` gets (model, done, total).
    ///
    /// A row that does not open, or opens to a vector this model cannot hold, is skipped and
    /// listed in `undecryptableTemplates`: one damaged row or one lost key must not keep the
    /// server from serving everyone else.
    public func load(from source: any TemplateSource,
                     progress: @escaping @Sendable (String, Int, Int) -> Void = { _, _, _ in }) throws -> GalleryLoadReport {
        var report = GalleryLoadReport(loaded: 0, undecryptable: [])
        for (modelID, index) in indexes.sorted(by: { $0.key < $1.key }) {
            let load = try source.loadTemplates(model: modelID) { done, count in progress(modelID, done, count) }
            var entries: [GalleryEntry] = []
            entries.reserveCapacity(load.templates.count)
            for template in load.templates {
                switch Self.entry(template, model: modelID, dimension: index.dimension) {
                case .entry(let entry): entries.append(entry)
                case .skipped(let skipped): report.undecryptable.append(skipped)
                }
            }
            index.bulkLoad(entries)
            report.loaded += entries.count
            report.undecryptable += load.undecryptable
        }
        let skipped = report.undecryptable
        undecryptable.withLock { $0 = skipped }
        return report
    }
}

/// What `Galleries.load` did: templates now searchable, and the rows it skipped.
public struct GalleryLoadReport: Sendable {
    public var loaded: Int
    public var undecryptable: [UndecryptableTemplate]
}
