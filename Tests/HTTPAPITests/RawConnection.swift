import Foundation
import HTTPAPI
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A client connection below HTTP, for the tests that must control every byte and its timing:
/// idle sockets, slow-drip uploads, a request head without its body. Plain TCP, or TLS with an
/// optional client certificate.
final class RawConnection: Sendable {
    let channel: any Channel
    private let received: ReceivedBytes

    private init(channel: any Channel, received: ReceivedBytes) {
        self.channel = channel
        self.received = received
    }

    /// Connects to 127.0.0.1:`port`; with `authority`, speaks TLS trusting it (and presents
    /// `certificate` when given). The TLS handshake is not awaited: writes queue behind it.
    ///
    /// `sendOnConnect` is written by the event loop as soon as the connection is up (NIOSSL
    /// holds it until the handshake is done), not by the test's task: a test process whose
    /// cooperative threads are busy elsewhere must not miss a deadline it is not testing.
    static func connect(port: Int, tlsTrusting authority: CertificateAuthority? = nil,
                        certificate: IssuedCertificate? = nil, sendOnConnect: String? = nil) async throws -> RawConnection {
        let received = ReceivedBytes()
        let sslContext = try authority.map { authority -> NIOSSLContext in
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(authority.certificatePEM().utf8), format: .pem)])
            if let certificate {
                tls.certificateChain = [.certificate(try NIOSSLCertificate(bytes: Array(certificate.certificatePEM().utf8), format: .pem))]
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(certificate.privateKeyPEM().utf8), format: .pem))
            }
            return try NIOSSLContext(configuration: tls)
        }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: sslContext, serverHostname: nil))
                    }
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received, sendOnConnect: sendOnConnect))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, received: received)
    }

    func write(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// Everything the server sent so far.
    var text: String { received.text }

    var isOpen: Bool { channel.isActive }

    /// Waits until the server sent something containing `needle`, or the connection closed, or
    /// `timeout` passed; returns whether it arrived.
    func waitFor(_ needle: String, timeout: Duration = .seconds(30)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if text.contains(needle) { return true }
            if !isOpen { return text.contains(needle) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Waits until the connection is closed (by the server), or `timeout` passed.
    func waitForClose(timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !isOpen { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return !isOpen
    }

    func close() async { try? await channel.close().get() }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: ReceivedBytes
        let sendOnConnect: String?
        init(received: ReceivedBytes, sendOnConnect: String?) {
            self.received = received
            self.sendOnConnect = sendOnConnect
        }

        func channelActive(context: ChannelHandlerContext) {
            if let sendOnConnect {
                context.writeAndFlush(NIOAny(ByteBuffer(string: sendOnConnect)), promise: nil)
            }
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received.append(Self.unwrapInboundIn(data))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}

final class ReceivedBytes: Sendable {
    private let bytes = Mutex<[UInt8]>([])
    func append(_ buffer: ByteBuffer) { bytes.withLock { $0.append(contentsOf: buffer.readableBytesView) } }
    var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
}
