import NIOCore
import Testing

@testable import Transport

@Suite struct WireMessageTests {
    private func roundTrip(_ message: WireMessage) throws -> WireMessage {
        var frame = message.encodedFrame(allocator: ByteBufferAllocator())
        let body = try #require(try FrameDecoder.nextFrame(from: &frame, maxFrameLength: 1024))
        #expect(body.readableBytes == message.bodyLength)
        return try WireMessage(frameBody: body)
    }

    @Test func everyKindRoundTrips() throws {
        let payload = ByteBuffer(bytes: [1, 2, 3, 4])
        for message in [
            WireMessage.message(payload), .request(id: 7, payload: payload),
            .response(id: UInt64.max, payload: ByteBuffer()), .keepalive,
        ] {
            #expect(try roundTrip(message) == message)
        }
    }

    @Test func exactBytesOfARequest() {
        let frame = WireMessage.request(id: 258, payload: ByteBuffer(bytes: [0xAA])).encodedFrame(allocator: .init())
        #expect(Array(frame.readableBytesView) == [0, 0, 0, 10, 2, 0, 0, 0, 0, 0, 0, 1, 2, 0xAA])
    }

    @Test func malformedBodiesAreRefused() {
        for body: [UInt8] in [[], [0], [9, 1], [2, 0, 0, 1], [4, 0]] {
            let error = #expect(throws: TransportError.self) { try WireMessage(frameBody: ByteBuffer(bytes: body)) }
            #expect(error?.code == "frame.malformed")
        }
    }
}
