extension AuditEvent {
    /// The canonical event (see `AuditChain`): what is hashed after `prevHash`.
    public var canonicalForm: String {
        AuditChain.canonicalForm(seq: seq, eventID: eventID, time: time, actor: actor, action: action,
                                 subject: subject, detailText: detail)
    }
}
