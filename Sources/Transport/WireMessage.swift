import NIOCore

/// What one frame body carries. The first byte is the kind; the rest depends on it:
///
/// | kind | name | body after the kind byte |
/// |---|---|---|
/// | 1 | message | payload |
/// | 2 | request | u64 BE request id ‖ payload |
/// | 3 | response | u64 BE request id ‖ payload |
/// | 4 | keepalive | nothing |
///
/// Payloads are opaque to the transport (the node puts canonical ChainCore encodings in them).
/// Requests and responses let the node fetch blocks over the same connections without a second
/// protocol; keepalives let an idle but healthy link survive the peer's idle timeout.
public enum WireMessage: Equatable, Sendable {
    case message(ByteBuffer)
    case request(id: UInt64, payload: ByteBuffer)
    case response(id: UInt64, payload: ByteBuffer)
    case keepalive

    enum Kind: UInt8 {
        case message = 1
        case request = 2
        case response = 3
        case keepalive = 4
    }

    /// Parses one frame body. Unknown kinds and truncated ids are `frame.malformed`.
    public init(frameBody body: ByteBuffer) throws {
        var body = body
        guard let raw = body.readInteger(as: UInt8.self) else {
            throw TransportError.malformed("empty frame")
        }
        guard let kind = Kind(rawValue: raw) else {
            throw TransportError.malformed("unknown frame kind \(raw)")
        }
        switch kind {
        case .message:
            self = .message(body)
        case .request, .response:
            guard let id = body.readInteger(endianness: .big, as: UInt64.self) else {
                throw TransportError.malformed("request id truncated")
            }
            self = kind == .request ? .request(id: id, payload: body) : .response(id: id, payload: body)
        case .keepalive:
            guard body.readableBytes == 0 else { throw TransportError.malformed("keepalive with a body") }
            self = .keepalive
        }
    }

    /// Bytes of the frame body (kind byte, id, payload), without the length prefix.
    public var bodyLength: Int {
        switch self {
        case .message(let p): return 1 + p.readableBytes
        case .request(_, let p), .response(_, let p): return 9 + p.readableBytes
        case .keepalive: return 1
        }
    }

    /// The whole frame (length prefix and body) in one buffer, ready to write: one TLS record per
    /// frame instead of a tiny record for the prefix.
    public func encodedFrame(allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: FrameDecoder.headerLength + bodyLength)
        out.writeInteger(UInt32(bodyLength), endianness: .big)
        switch self {
        case .message(let p):
            out.writeInteger(Kind.message.rawValue)
            out.writeImmutableBuffer(p)
        case .request(let id, let p):
            out.writeInteger(Kind.request.rawValue)
            out.writeInteger(id, endianness: .big)
            out.writeImmutableBuffer(p)
        case .response(let id, let p):
            out.writeInteger(Kind.response.rawValue)
            out.writeInteger(id, endianness: .big)
            out.writeImmutableBuffer(p)
        case .keepalive:
            out.writeInteger(Kind.keepalive.rawValue)
        }
        return out
    }
}
