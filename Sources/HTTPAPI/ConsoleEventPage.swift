import FacePayCore
import Foundation
import Payments
import Stores

/// `/console/events/{seq}`: one audit event — its canonical form, its hash and the link to the
/// previous event (both checked on the spot), its inclusion proof in a checkpoint signed for this
/// view, and, on request (`?verify=1`), the chain checked from the first event up to it.
struct ConsoleEventPage {
    let device: Device
    let integrity: String
    let time: ConsoleTime
    let event: AuditEvent
    let previous: AuditEvent?
    /// The inclusion proof, when the server has a signing key.
    let proof: AuditProof?
    /// nil: not asked; .some(nil): the chain holds up to here; .some(reason): where it breaks.
    let verification: String??

    func render() -> String {
        let recomputed = AuditChain.hash(prevHash: event.prevHash, canonicalForm: event.canonicalForm)
        let linked = event.seq == 1 ? event.prevHash == AuditHead.genesisHash : previous?.hash == event.prevHash
        var html = integrity
        html += "<section id=\"event\" aria-labelledby=\"event-heading\"><h2 id=\"event-heading\">Audit event \(event.seq)</h2>\n<dl class=\"event\">\n"
        html += "<dt>time</dt><dd>\(time.element(event.time)) (stored as <code>\(escape(event.time))</code>)</dd>\n"
        for (term, value) in [("event id", event.eventID), ("actor", event.actor), ("action", event.action), ("subject", event.subject)] {
            html += "<dt>\(term)</dt><dd><code>\(escape(value))</code></dd>\n"
        }
        html += "<dt>detail</dt><dd class=\"detail\"><code>\(escape(event.detail))</code></dd>\n"
        html += "<dt>hash</dt><dd><code id=\"event-hash\">\(escape(event.hash))</code> "
        html += recomputed == event.hash ? "<span class=\"ok\" id=\"hash-check\">recomputed: matches</span>" : "<span class=\"bad\" id=\"hash-check\">recomputed: <code>\(escape(recomputed))</code> — does not match</span>"
        html += "</dd>\n<dt>previous</dt><dd>"
        if event.seq > 1 {
            html += "<a id=\"previous-event\" href=\"/console/events/\(event.seq - 1)\">event \(event.seq - 1)</a>\(previous == nil ? " (missing from the log)" : ""), "
        }
        html += "prev_hash <code>\(escape(event.prevHash))</code> "
        html += linked ? "<span class=\"ok\" id=\"link-check\">links to it</span>" : "<span class=\"bad\" id=\"link-check\">does not link to it</span>"
        html += "</dd>\n</dl>\n"
        html += "<p><a id=\"next-event\" href=\"/console/events/\(event.seq + 1)\">event \(event.seq + 1)</a> · "
        html += "<a id=\"verify-here\" href=\"/console/events/\(event.seq)?verify=1#verification\">Verify the chain up to here</a></p>\n"
        if let verification {
            html += "<p id=\"verification\" class=\"badge \(verification == nil ? "verified" : "failed")\">"
            html += verification.map { "The chain does not hold up to event \(event.seq): \(escape($0))" }
                ?? "Events 1 to \(event.seq): every event present, linked to the one before, and hashing to its hash."
            html += "</p>\n"
        }
        if let proof, let inclusion = proof.inclusion {
            html += "<h3>Inclusion in the signed checkpoint of \(proof.checkpoint.treeSize) events</h3>\n"
            html += "<p class=\"note\">RFC 9162 §2.1.3: leaf index \(inclusion.seq - 1), leaf data the event's hash; root <code>\(escape(proof.checkpoint.rootHash))</code>. "
            html += "Check it with <code>GET /v1/audit/proof?event=\(event.seq)</code>.</p>\n<ol class=\"proof\">\n"
            for hash in inclusion.hashes { html += "<li><code>\(Hex.string(hash))</code></li>\n" }
            html += "</ol>\n"
        }
        html += "</section>\n"
        return ConsoleChrome.document(title: "FacePay console — audit event \(event.seq)", heading: "Audit event", device: device, current: .ledger, body: html)
    }

    private func escape(_ text: String) -> String { HTMLEscaping.escape(text) }
}
