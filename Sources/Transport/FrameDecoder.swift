import NIOCore

/// Splits a byte stream into frames: a `u32` big-endian length, then that many bytes.
///
/// The length is checked against `maxFrameLength` as soon as its four bytes arrive, before the
/// body is awaited, so a hostile length never makes the connection buffer (or allocate) more than
/// the limit. An oversize length throws `frame.too_large`; the connection handler closes that
/// connection only.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    /// The default bound on one frame's body: 8 MiB.
    public static let defaultMaxFrameLength = 8 * 1024 * 1024
    /// Bytes of the length prefix.
    public static let headerLength = 4

    /// The largest body accepted, in bytes.
    public let maxFrameLength: Int

    public init(maxFrameLength: Int = FrameDecoder.defaultMaxFrameLength) {
        precondition(maxFrameLength > 0 && maxFrameLength <= Int(UInt32.max), "frame limit out of range")
        self.maxFrameLength = maxFrameLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.nextFrame(from: &buffer, maxFrameLength: maxFrameLength) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        // A truncated frame at end of stream is dropped with the connection: there is nobody to answer.
        try decode(context: context, buffer: &buffer)
    }

    /// Reads one complete frame body from `buffer`, or returns nil (consuming nothing) when more
    /// bytes are needed. Throws `frame.too_large` as soon as the header announces an oversize body.
    public static func nextFrame(from buffer: inout ByteBuffer, maxFrameLength: Int) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return nil
        }
        guard Int(length) <= maxFrameLength else {
            throw TransportError.frameTooLarge(length: length, limit: maxFrameLength)
        }
        guard buffer.readableBytes >= headerLength + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: headerLength)
        return buffer.readSlice(length: Int(length))
    }

    /// Writes `body` as one frame (length prefix, then the bytes) into `buffer`.
    public static func writeFrame(_ body: ByteBuffer, into buffer: inout ByteBuffer) {
        precondition(body.readableBytes <= Int(UInt32.max), "frame body larger than the u32 prefix")
        buffer.writeInteger(UInt32(body.readableBytes), endianness: .big)
        buffer.writeImmutableBuffer(body)
    }
}
