import NIOCore

/// A bounded queue of encoded frames waiting for one peer's connection to become writable.
///
/// When a new frame does not fit, the *oldest* frames are dropped (and counted): consensus and
/// gossip traffic is superseded by newer traffic (a vote for an old round is useless once the round
/// moved on), and whatever was lost is recovered by the protocol's own timeouts and by block sync.
/// Refusing the newest instead would keep a slow peer stuck on stale messages. Pure value type.
public struct SendQueue: Sendable {
    public let maxMessages: Int
    public let maxBytes: Int
    public private(set) var bytes: Int = 0
    public private(set) var droppedMessages: Int = 0
    private var frames = CircularBuffer<ByteBuffer>()

    public init(maxMessages: Int, maxBytes: Int) {
        precondition(maxMessages > 0 && maxBytes > 0, "a send queue has a positive bound")
        self.maxMessages = maxMessages
        self.maxBytes = maxBytes
    }

    public var count: Int { frames.count }
    public var isEmpty: Bool { frames.isEmpty }

    /// Appends `frame`, dropping the oldest frames until both bounds hold. Returns how many were
    /// dropped. A frame larger than `maxBytes` on its own is refused (returns 1, queue unchanged).
    @discardableResult
    public mutating func enqueue(_ frame: ByteBuffer) -> Int {
        let size = frame.readableBytes
        guard size <= maxBytes else {
            droppedMessages += 1
            return 1
        }
        var dropped = 0
        while frames.count >= maxMessages || bytes + size > maxBytes, let old = frames.popFirst() {
            bytes -= old.readableBytes
            dropped += 1
        }
        frames.append(frame)
        bytes += size
        droppedMessages += dropped
        return dropped
    }

    public mutating func popFirst() -> ByteBuffer? {
        guard let frame = frames.popFirst() else { return nil }
        bytes -= frame.readableBytes
        return frame
    }

    /// Empties the queue (the peer was removed from the configuration).
    public mutating func removeAll() {
        frames.removeAll()
        bytes = 0
    }
}
