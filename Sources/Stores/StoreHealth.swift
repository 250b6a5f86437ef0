/// Whether the store can serve: open, migrated, answering (`/readyz`).
public protocol StoreHealth: Sendable {
    func isReady() async -> Bool
}
