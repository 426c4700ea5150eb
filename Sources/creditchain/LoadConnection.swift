import NIOCore
import NIOHTTP1
import NIOPosix
import Node

/// One keep-alive HTTP/1.1 connection of `bench load` to a node's API, one request at a time.
///
/// The load generator shares the machine with the nodes it measures, so what it spends per
/// request is taken from them. AsyncHTTPClient's pool and request state machines cost the
/// generator about as much CPU per transaction as the receiving node's whole HTTP stack; this
/// is the plain exchange a closed-loop client needs: write a request, read its response.
final class LoadConnection: Sendable {
    /// A request's answer: the status code and the body as text.
    struct Answer: Sendable {
        var status: Int
        var body: String
    }

    private let channel: any Channel
    let address: NodeAddress

    private init(channel: any Channel, address: NodeAddress) {
        self.channel = channel
        self.address = address
    }

    /// Opens a connection to the API at `address`.
    static func connect(to address: NodeAddress) async throws -> LoadConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ExchangeHandler())
                }
            }
            .connect(host: address.host, port: address.port)
            .get()
        return LoadConnection(channel: channel, address: address)
    }

    var isActive: Bool { channel.isActive }

    /// POSTs `body` to `path` and returns the answer; fails when the connection fails or the
    /// answer takes longer than `timeout`.
    func post(path: String, headers: [(String, String)], body: [UInt8], timeout: TimeAmount) async throws -> Answer {
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: path)
        head.headers.add(name: "Host", value: address.description)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        head.headers.add(name: "Content-Length", value: String(body.count))
        let promise = channel.eventLoop.makePromise(of: Answer.self)
        let exchange = Exchange(head: head, body: channel.allocator.buffer(bytes: body), answer: promise)
        let timer = channel.eventLoop.scheduleTask(in: timeout) { [channel] in
            promise.fail(LoadConnectionError.timedOut)
            channel.close(promise: nil)
        }
        channel.writeAndFlush(exchange, promise: nil)
        defer { timer.cancel() }
        return try await promise.futureResult.get()
    }

    func close() {
        channel.close(promise: nil)
    }
}

enum LoadConnectionError: Error, CustomStringConvertible {
    case timedOut
    case closed
    case busy

    var description: String {
        switch self {
        case .timedOut: "no answer in time"
        case .closed: "the node closed the connection"
        case .busy: "a request is already in flight on this connection"
        }
    }
}

/// A request and the promise its answer completes.
struct Exchange: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    var answer: EventLoopPromise<LoadConnection.Answer>
}

/// Writes one request at a time and completes its promise with the response; fails it when the
/// connection errs or closes first.
private final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Exchange
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: EventLoopPromise<LoadConnection.Answer>?
    private var status = 0
    private var body = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard pending == nil else {
            exchange.answer.fail(LoadConnectionError.busy)
            promise?.fail(LoadConnectionError.busy)
            return
        }
        pending = exchange.answer
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(exchange.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            let answer = LoadConnection.Answer(status: status, body: String(buffer: body))
            let promise = pending
            pending = nil
            promise?.succeed(answer)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pending?.fail(error)
        pending = nil
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending?.fail(LoadConnectionError.closed)
        pending = nil
        context.fireChannelInactive()
    }
}
