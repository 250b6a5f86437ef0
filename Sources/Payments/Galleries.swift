import Biometrics
import FacePayCore
import Storage
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

    /// Loads every stored template into the indexes; `progress` gets (model, done, total).
    public func load(from database: AppDatabase, keyRing: TemplateKeyRing,
                     progress: @escaping @Sendable (String, Int, Int) -> Void = { _, _, _ in }) throws -> Int {
        var total = 0
        for (modelID, index) in indexes.sorted(by: { $0.key < $1.key }) {
            let templates = try database.loadTemplates(model: modelID, keyRing: keyRing) { done, count in progress(modelID, done, count) }
            let entries = templates.map {
                GalleryEntry(subjectID: $0.customerID, bucket: $0.phoneLast4, embedding: Embedding(trustedUnitVector: $0.values))
            }
            index.bulkLoad(entries)
            total += entries.count
        }
        return total
    }
}
