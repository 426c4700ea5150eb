import NIOCore
import Testing

@testable import Transport

@Suite struct SendQueueTests {
    private func frame(_ tag: UInt8, size: Int = 10) -> ByteBuffer {
        ByteBuffer(bytes: Array(repeating: tag, count: size))
    }

    @Test func messageBoundDropsOldestFirst() {
        var queue = SendQueue(maxMessages: 3, maxBytes: 1000)
        for tag in UInt8(1)...3 { #expect(queue.enqueue(frame(tag)) == 0) }
        #expect(queue.enqueue(frame(4)) == 1)
        #expect(queue.count == 3)
        #expect(queue.droppedMessages == 1)
        #expect(queue.popFirst() == frame(2))
    }

    @Test func byteBoundHoldsUnderAnyMix() {
        var queue = SendQueue(maxMessages: 100, maxBytes: 100)
        for size in [40, 40, 30, 90, 5, 60, 100, 1] {
            queue.enqueue(frame(1, size: size))
            #expect(queue.bytes <= 100)
        }
        #expect(queue.bytes == 1 && queue.count == 1)
    }

    @Test func frameLargerThanTheQueueIsRefused() {
        var queue = SendQueue(maxMessages: 10, maxBytes: 50)
        queue.enqueue(frame(1))
        #expect(queue.enqueue(frame(2, size: 51)) == 1)
        #expect(queue.count == 1)
        #expect(queue.popFirst() == frame(1))
        #expect(queue.isEmpty && queue.bytes == 0)
    }
}
