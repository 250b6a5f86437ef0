import NIOCore
import NIOHTTPTypes
import NIOSSL
import NIOTLS

/// Cuts off connections that hold a slot without doing their part of the protocol: a TLS
/// handshake that does not complete within `handshakeTimeout` of the connection opening, and a
/// request whose head and body do not arrive within `requestReadTimeout` of its first part (a
/// slow-drip upload). Hummingbird's own idle timeout handles keep-alive connections between
/// requests; it restarts on every byte, so it cannot bound a client that drips.
///
/// Sits in the child pipeline after HTTP decoding (it sees request parts) and before the
/// request handling; the TLS handler ahead of it passes the handshake's completion down as a
/// user event. A closed connection fails the request's body read, so the handler never sees a
/// half-read body as complete.
final class ConnectionDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    enum Deadline: String, Sendable {
        case tlsHandshake = "tls_handshake"
        case requestRead = "request_read"
    }

    private let handshakeTimeout: TimeAmount
    private let requestReadTimeout: TimeAmount
    private let onExpiry: @Sendable (Deadline) -> Void
    private var pending: (deadline: Deadline, task: Scheduled<Void>)?
    private var handshakeCompleted = false

    init(handshakeTimeout: TimeAmount, requestReadTimeout: TimeAmount, onExpiry: @escaping @Sendable (Deadline) -> Void) {
        self.handshakeTimeout = handshakeTimeout
        self.requestReadTimeout = requestReadTimeout
        self.onExpiry = onExpiry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Added while the channel is set up, before the handshake: the clock starts now.
        if context.channel.isActive { startHandshakeDeadline(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        startHandshakeDeadline(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) { cancel() }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted? = event as? TLSUserEvent { finishHandshake() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            // A request head can only follow a completed handshake (whether or not its event
            // reached this handler).
            finishHandshake()
            schedule(.requestRead, after: requestReadTimeout, context)
        case .body:
            break
        case .end:
            if pending?.deadline == .requestRead { cancel() }
        }
        context.fireChannelRead(data)
    }

    private func startHandshakeDeadline(_ context: ChannelHandlerContext) {
        guard !handshakeCompleted, pending == nil else { return }
        schedule(.tlsHandshake, after: handshakeTimeout, context)
    }

    private func finishHandshake() {
        guard !handshakeCompleted else { return }
        handshakeCompleted = true
        if pending?.deadline == .tlsHandshake { cancel() }
    }

    private func schedule(_ deadline: Deadline, after delay: TimeAmount, _ context: ChannelHandlerContext) {
        cancel()
        let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let onExpiry = onExpiry
        let task = context.eventLoop.assumeIsolated().scheduleTask(in: delay) { [self] in
            guard pending?.deadline == deadline else { return }
            pending = nil
            onExpiry(deadline)
            loopContext.value.close(promise: nil)
        }
        pending = (deadline, task)
    }

    private func cancel() {
        pending?.task.cancel()
        pending = nil
    }
}
