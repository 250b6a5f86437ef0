import Stores

extension AuditEvent {
    /// The canonical event (see `AuditLog`): what is hashed after `prevHash`.
    public var canonicalForm: String {
        AuditLog.canonicalForm(seq: seq, eventID: eventID, time: time, actor: actor, action: action,
                               subject: subject, detailText: detail)
    }
}
