import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing

@testable import Transport

@Suite struct FrameDecoderTests {
    private func frame(_ body: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        FrameDecoder.writeFrame(ByteBuffer(bytes: body), into: &buffer)
        return buffer
    }

    @Test func verifierAcceptsSplitAndCoalescedFrames() throws {
        let bodies: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 7, count: 300), [0xFF]]
        var all = ByteBuffer()
        for body in bodies { FrameDecoder.writeFrame(ByteBuffer(bytes: body), into: &all) }
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (frame([9, 9]), [ByteBuffer(bytes: [9, 9])]),
                (all, bodies.map { ByteBuffer(bytes: $0) }),
            ],
            decoderFactory: { FrameDecoder(maxFrameLength: 1024) })
    }

    @Test func frameAtTheLimitIsAccepted() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maxFrameLength: 16)))
        try channel.writeInbound(frame(Array(repeating: 1, count: 16)))
        #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: Array(repeating: 1, count: 16)))
        #expect(try channel.finish().isClean)
    }

    @Test func oversizeLengthFailsOnTheHeaderAlone() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maxFrameLength: 16)))
        // Only the 4 header bytes: the decoder must refuse before any body is buffered.
        var header = ByteBuffer()
        header.writeInteger(UInt32(17))
        #expect(throws: TransportError.frameTooLarge(length: 17, limit: 16)) {
            try channel.writeInbound(header)
        }
        _ = try? channel.finish()
    }

    @Test func hostileLengthIsRefusedWithoutAllocating() throws {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        let error = #expect(throws: TransportError.self) {
            _ = try FrameDecoder.nextFrame(from: &buffer, maxFrameLength: FrameDecoder.defaultMaxFrameLength)
        }
        #expect(error?.code == "frame.too_large")
        #expect(buffer.readableBytes == 5)
    }

    @Test func partialFrameWaitsForMoreBytes() throws {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 3, 1, 2])
        #expect(try FrameDecoder.nextFrame(from: &buffer, maxFrameLength: 8) == nil)
        #expect(buffer.readableBytes == 6)
        buffer.writeInteger(UInt8(3))
        #expect(try FrameDecoder.nextFrame(from: &buffer, maxFrameLength: 8) == ByteBuffer(bytes: [1, 2, 3]))
        #expect(buffer.readableBytes == 0)
    }
}
