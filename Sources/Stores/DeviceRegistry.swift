/// The registered devices, read by the identity check of every request.
public protocol DeviceRegistry: Sendable {
    /// The device whose certificate CN is `id`, or nil when none is registered.
    func device(id: String) async throws -> Device?
}
