/// A decrypted template on its way into the in-memory gallery index (never to a log or a wire).
public struct LoadedTemplate: Sendable {
    public let customerID: String
    public let phoneLast4: String
    public let keyID: String
    public let values: [Float]

    public init(customerID: String, phoneLast4: String, keyID: String, values: [Float]) {
        self.customerID = customerID
        self.phoneLast4 = phoneLast4
        self.keyID = keyID
        self.values = values
    }
}

/// A stored template that could not be opened: its key id is not in the ring, or the row does
/// not authenticate (damaged, or moved to another customer or model). Only identifiers and the
/// reason — never a byte of the template — so it may be logged and printed.
public struct UndecryptableTemplate: Sendable, Equatable {
    public let customerID: String
    public let model: String
    public let keyID: String
    /// `template_key_missing`, `template_corrupt`, or a shape check of the gallery (e.g. `template_wrong_dimension`).
    public let reason: String

    public init(customerID: String, model: String, keyID: String, reason: String) {
        self.customerID = customerID
        self.model = model
        self.keyID = keyID
        self.reason = reason
    }
}

/// The templates of one model that opened, and those that did not (skipped, not fatal: one
/// damaged row must not keep every other customer from being served).
public struct TemplateLoad: Sendable {
    public var templates: [LoadedTemplate]
    public var undecryptable: [UndecryptableTemplate]

    public init(templates: [LoadedTemplate], undecryptable: [UndecryptableTemplate]) {
        self.templates = templates
        self.undecryptable = undecryptable
    }
}

/// The sealed templates, opened for the in-memory galleries at start-up (never for a log or a
/// wire). The store holds the keys: what comes out is plain vectors, and the rows that did not
/// open, by identifier and reason.
public protocol TemplateSource: Sendable {
    /// Every stored template of `model`; `progress` gets (done, total).
    func loadTemplates(model: String, progress: (Int, Int) -> Void) throws -> TemplateLoad
}
