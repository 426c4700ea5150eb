import ChainCore
import ChainCrypto
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// One connection's facts shared between its TLS verification callback, its handler and the
/// dialer that opened it.
final class ConnectionContext: Sendable {
    enum Verification: Sendable {
        case pending
        case accepted(MemberIdentity)
        case refused(TransportError)
    }

    let id: UInt64
    let link: PeerLink
    private let verificationBox = NIOLockedValueBox(Verification.pending)
    private let authenticatedBox = NIOLockedValueBox(false)

    init(id: UInt64, link: PeerLink) {
        self.id = id
        self.link = link
    }

    var verification: Verification {
        get { verificationBox.withLockedValue { $0 } }
        set { verificationBox.withLockedValue { $0 = newValue } }
    }

    var acceptedIdentity: MemberIdentity? {
        if case .accepted(let identity) = verification { return identity }
        return nil
    }

    /// True once the connection was registered (the dialer then resets its backoff).
    var wasAuthenticated: Bool {
        get { authenticatedBox.withLockedValue { $0 } }
        set { authenticatedBox.withLockedValue { $0 = newValue } }
    }
}

/// Routing state of a `PeerNetwork`: per-member slots (send queue, live connections, rate limit,
/// dialer), pending requests and counters, behind one lock. Handlers and the public API call in
/// from any thread; frames are written only on the owning channel's event loop.
final class PeerRegistry: Sendable {
    struct LiveConnection: Sendable {
        let id: UInt64
        let channel: any Channel
        let role: MemberRole
    }

    struct Slot: Sendable {
        var endpoint: PeerEndpoint?
        var role: MemberRole?
        var queue: SendQueue
        var outbound: LiveConnection?
        /// Oldest first.
        var inbound: [LiveConnection] = []
        /// A drain is scheduled or waiting for writability on `preferred`.
        var drainPending = false
        var rateLimit: InboundRateLimit?
        var dialer: Task<Void, Never>?
        /// The member had an authenticated link and has none now (it closed, or the peer died).
        var linkLost = false

        /// The connection frames go out on: our own dialled link if up, else the newest inbound.
        var preferred: LiveConnection? { outbound ?? inbound.last }
        var isRemovable: Bool { endpoint == nil && outbound == nil && inbound.isEmpty }
    }

    struct PendingRequest: Sendable {
        let member: MemberID
        let continuation: CheckedContinuation<[UInt8], any Error>
        var timer: Scheduled<Void>?
    }

    struct State: Sendable {
        var slots: [MemberID: Slot] = [:]
        var pending: [UInt64: PendingRequest] = [:]
        var nextRequestID: UInt64 = 1
        var nextConnectionID: UInt64 = 1
        /// Every accepted connection until it closes, authenticated or not: counted against
        /// `maxConnections`, and closed by shutdown (one still in its handshake would otherwise
        /// outlive the listener).
        var acceptedChannels: [ObjectIdentifier: any Channel] = [:]
        /// Messages (and their bytes) yielded to `inbound` and not yet taken by the node.
        var pendingInboundMessages = 0
        var pendingInboundBytes = 0
        var metrics = TransportMetrics()
        var shuttingDown = false
    }

    let state = NIOLockedValueBox(State())
    let limits: TransportLimits
    let logger: Logger
    let stream: AsyncStream<InboundMessage>
    private let continuation: AsyncStream<InboundMessage>.Continuation

    init(limits: TransportLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
        // The soft bounds (`inboundOverBudget`) stop reading first; this hard cap only guards
        // against what connections had already decoded when they paused.
        (stream, continuation) = AsyncStream.makeStream(
            of: InboundMessage.self, bufferingPolicy: .bufferingNewest(2 * limits.inboundBufferMessages))
    }

    private func newSlot(endpoint: PeerEndpoint?) -> Slot {
        Slot(
            endpoint: endpoint, queue: SendQueue(maxMessages: limits.sendQueueMessages, maxBytes: limits.sendQueueBytes)
        )
    }

    // MARK: Connections

    func makeConnection(link: PeerLink) -> ConnectionContext {
        let id = state.withLockedValue { s in
            defer { s.nextConnectionID += 1 }
            return s.nextConnectionID
        }
        return ConnectionContext(id: id, link: link)
    }

    /// Counts an accepted TCP connection against `maxConnections`. Returns nil when accepted,
    /// else the number of refusals so far (the caller logs the first and every 1000th, not a flood).
    func reserveInbound(_ channel: any Channel) -> Int? {
        state.withLockedValue { s in
            guard !s.shuttingDown, s.acceptedChannels.count < limits.maxConnections else {
                s.metrics.connectionsRefusedAtLimit += 1
                return s.metrics.connectionsRefusedAtLimit
            }
            s.metrics.connectionsAccepted += 1
            s.acceptedChannels[ObjectIdentifier(channel)] = channel
            return nil
        }
    }

    func releaseInbound(_ channel: any Channel) {
        state.withLockedValue { s in s.acceptedChannels[ObjectIdentifier(channel)] = nil }
    }

    func count(_ update: (inout TransportMetrics) -> Void) { state.withLockedValue { update(&$0.metrics) } }

    /// Adds an authenticated connection. Returns false when it must be closed instead (shutting
    /// down, or an outbound link to a peer no longer configured). An inbound connection beyond the
    /// per-member bound evicts that member's oldest.
    func register(_ connection: ConnectionContext, identity: MemberIdentity, channel: any Channel) -> Bool {
        let live = LiveConnection(id: connection.id, channel: channel, role: identity.role)
        var evicted: [any Channel] = []
        let (accepted, drainOn) = state.withLockedValue { s -> (Bool, LiveConnection?) in
            guard !s.shuttingDown else { return (false, nil) }
            switch connection.link {
            case .outbound:
                guard s.slots[identity.member]?.endpoint != nil else { return (false, nil) }
                if let old = s.slots[identity.member]?.outbound { evicted.append(old.channel) }
                s.slots[identity.member]?.outbound = live
            case .inbound:
                if s.slots[identity.member] == nil { s.slots[identity.member] = newSlot(endpoint: nil) }
                s.slots[identity.member]?.inbound.append(live)
                while let count = s.slots[identity.member]?.inbound.count,
                    count > limits.maxInboundConnectionsPerMember,
                    let old = s.slots[identity.member]?.inbound.removeFirst()
                {
                    evicted.append(old.channel)
                }
            }
            s.slots[identity.member]?.role = identity.role
            s.slots[identity.member]?.linkLost = false
            s.metrics.authenticatedConnections += 1
            return (true, scheduleDrainLocked(&s, member: identity.member, force: true))
        }
        if accepted { connection.wasAuthenticated = true }
        for channel in evicted { channel.close(promise: nil) }
        if let drainOn { scheduleDrain(member: identity.member, on: drainOn) }
        return accepted
    }

    func unregister(_ connection: ConnectionContext, identity: MemberIdentity) {
        let drainOn = state.withLockedValue { s -> LiveConnection? in
            guard var slot = s.slots.removeValue(forKey: identity.member) else { return nil }
            let wasPreferred = slot.preferred?.id == connection.id
            if slot.outbound?.id == connection.id { slot.outbound = nil }
            slot.inbound.removeAll { $0.id == connection.id }
            s.metrics.authenticatedConnections -= 1
            if slot.outbound == nil && slot.inbound.isEmpty { slot.linkLost = true }
            guard !slot.isRemovable else { return nil }
            s.slots[identity.member] = slot
            return wasPreferred ? scheduleDrainLocked(&s, member: identity.member, force: true) : nil
        }
        if let drainOn { scheduleDrain(member: identity.member, on: drainOn) }
    }

    /// Whether `member` had an authenticated link that is gone, with none up since. A member never
    /// connected yet is not counted as lost.
    func hasLostLink(_ member: MemberID) -> Bool {
        state.withLockedValue { $0.slots[member]?.linkLost ?? false }
    }

    /// Whether any member has lost its links (`hasLostLink`).
    func hasLostAnyLink() -> Bool {
        state.withLockedValue { $0.slots.values.contains { $0.linkLost } }
    }

    /// Channels of `member` (all directions), to close on revocation.
    func channels(of member: MemberID) -> [any Channel] {
        state.withLockedValue { s in
            guard let slot = s.slots[member] else { return [] }
            return (slot.outbound.map { [$0] } ?? []).map(\.channel) + slot.inbound.map(\.channel)
        }
    }

    // MARK: Sending

    /// Queues an encoded frame for `member` and makes sure a drain is on its way.
    func enqueue(_ frame: ByteBuffer, to member: MemberID) -> SendOutcome {
        let (outcome, drainOn) = state.withLockedValue { s -> (SendOutcome, LiveConnection?) in
            guard !s.shuttingDown else { return (.shutDown, nil) }
            guard let index = s.slots.index(forKey: member) else { return (.notConnected, nil) }
            let dropped = s.slots.values[index].queue.enqueue(frame)
            s.metrics.sendQueueDrops += dropped
            let drainOn = scheduleDrainLocked(&s, member: member, force: false)
            return (dropped == 0 ? .queued : .queuedDroppingOldest(dropped), drainOn)
        }
        if let drainOn { scheduleDrain(member: member, on: drainOn) }
        return outcome
    }

    /// Returns the connection to drain on if a drain must be scheduled now (marks it pending).
    /// `force` re-arms after the preferred connection changed.
    private func scheduleDrainLocked(_ s: inout State, member: MemberID, force: Bool) -> LiveConnection? {
        guard let index = s.slots.index(forKey: member) else { return nil }
        guard let target = s.slots.values[index].preferred, !s.slots.values[index].queue.isEmpty else {
            if force { s.slots.values[index].drainPending = false }
            return nil
        }
        if s.slots.values[index].drainPending && !force { return nil }
        s.slots.values[index].drainPending = true
        return target
    }

    private func scheduleDrain(member: MemberID, on connection: LiveConnection) {
        let channel = connection.channel
        channel.eventLoop.execute {
            self.drain(member: member, connectionID: connection.id, channel: channel)
        }
    }

    /// Called when the connection became writable again.
    func writable(member: MemberID, connectionID: UInt64, channel: any Channel) {
        drain(member: member, connectionID: connectionID, channel: channel)
    }

    /// Moves frames from the member's queue to `channel` while it is writable, flushing every
    /// 64 KiB so the write-buffer watermark (and so writability) tracks what is really pending.
    /// Runs on the channel's event loop.
    private func drain(member: MemberID, connectionID: UInt64, channel: any Channel) {
        channel.eventLoop.preconditionInEventLoop()
        var unflushed = 0
        var frames = 0
        var bytes = 0
        while channel.isWritable {
            let frame = state.withLockedValue { s -> ByteBuffer? in
                guard let index = s.slots.index(forKey: member),
                    s.slots.values[index].preferred?.id == connectionID
                else { return nil }
                guard let frame = s.slots.values[index].queue.popFirst() else {
                    s.slots.values[index].drainPending = false
                    return nil
                }
                return frame
            }
            guard let frame else { break }
            frames += 1
            bytes += frame.readableBytes
            unflushed += frame.readableBytes
            channel.write(frame, promise: nil)
            if unflushed >= 64 * 1024 {
                channel.flush()
                unflushed = 0
            }
        }
        if unflushed > 0 { channel.flush() }
        if frames > 0 {
            count {
                $0.framesSent += frames
                $0.bytesSent += bytes
            }
        }
    }

    // MARK: Receiving

    /// Charges a received frame to its member's rate limit; returns how long to stop reading.
    func charge(member: MemberID, frameBytes: Int) -> TimeAmount? {
        let now = NIODeadline.now().uptimeNanoseconds
        return state.withLockedValue { s -> TimeAmount? in
            s.metrics.framesReceived += 1
            s.metrics.bytesReceived += frameBytes
            guard let index = s.slots.index(forKey: member) else { return nil }
            if s.slots.values[index].rateLimit == nil {
                s.slots.values[index].rateLimit = InboundRateLimit(limits: limits, nowNanos: now)
            }
            let pause = s.slots.values[index].rateLimit?.admit(frameBytes: frameBytes, nowNanos: now)
            if pause != nil { s.metrics.rateLimitPauses += 1 }
            return pause
        }
    }

    func deliver(_ message: WireMessage, from identity: MemberIdentity) {
        switch message {
        case .message(let payload):
            yield(
                InboundMessage(
                    from: identity.member, role: identity.role, kind: .message, bytes: Array(payload.readableBytesView))
            )
        case .request(let id, let payload):
            yield(
                InboundMessage(
                    from: identity.member, role: identity.role, kind: .request(id: id),
                    bytes: Array(payload.readableBytesView)))
        case .response(let id, let payload):
            let request = state.withLockedValue { s -> PendingRequest? in
                guard s.pending[id]?.member == identity.member else { return nil }
                return s.pending.removeValue(forKey: id)
            }
            request?.timer?.cancel()
            request?.continuation.resume(returning: Array(payload.readableBytesView))
        case .keepalive:
            break
        }
    }

    private func yield(_ message: InboundMessage) {
        state.withLockedValue { s in
            s.pendingInboundMessages += 1
            s.pendingInboundBytes += message.bytes.count
        }
        switch continuation.yield(message) {
        case .enqueued: break
        case .dropped(let old):
            consumed(old)
            count { $0.inboundDrops += 1 }
        case .terminated: consumed(message)
        @unknown default: break
        }
    }

    /// The node took `message` from `inbound` (or it was dropped).
    func consumed(_ message: InboundMessage) {
        state.withLockedValue { s in
            s.pendingInboundMessages -= 1
            s.pendingInboundBytes -= message.bytes.count
        }
    }

    /// True while the node has more unread messages than `inboundBufferMessages` or
    /// `inboundBufferBytes`: connections stop reading until it catches up.
    var inboundOverBudget: Bool {
        state.withLockedValue { s in
            s.pendingInboundMessages > limits.inboundBufferMessages || s.pendingInboundBytes > limits.inboundBufferBytes
        }
    }

    // MARK: Requests

    /// Registers a pending request; nil when too many are outstanding.
    func addPending(member: MemberID, continuation: CheckedContinuation<[UInt8], any Error>) -> UInt64? {
        state.withLockedValue { s in
            guard !s.shuttingDown, s.pending.count < limits.maxPendingRequests else { return nil }
            let id = s.nextRequestID
            s.nextRequestID += 1
            s.pending[id] = PendingRequest(member: member, continuation: continuation)
            return id
        }
    }

    func setTimer(_ timer: Scheduled<Void>, forRequest id: UInt64) {
        let stale = state.withLockedValue { s -> Bool in
            guard s.pending[id] != nil else { return true }
            s.pending[id]?.timer = timer
            return false
        }
        if stale { timer.cancel() }
    }

    func failPending(_ id: UInt64, with error: TransportError) {
        let request = state.withLockedValue { $0.pending.removeValue(forKey: id) }
        request?.timer?.cancel()
        request?.continuation.resume(throwing: error)
    }

    // MARK: Configuration and lifecycle

    /// Applies a new peer list; returns what the network must stop and start.
    func configure(
        peers: [MemberID: PeerEndpoint]
    ) -> (stop: [Task<Void, Never>], close: [any Channel], start: [(MemberID, PeerEndpoint)]) {
        state.withLockedValue { s in
            var stop: [Task<Void, Never>] = []
            var close: [any Channel] = []
            var start: [(MemberID, PeerEndpoint)] = []
            guard !s.shuttingDown else { return ([], [], []) }
            for (member, slot) in s.slots where slot.endpoint != nil && peers[member] != slot.endpoint {
                if let dialer = slot.dialer { stop.append(dialer) }
                if let outbound = slot.outbound { close.append(outbound.channel) }
                s.slots[member]?.dialer = nil
                s.slots[member]?.endpoint = nil
                if peers[member] == nil { s.slots[member]?.queue.removeAll() }
                if s.slots[member]?.isRemovable == true { s.slots[member] = nil }
            }
            for (member, endpoint) in peers where s.slots[member]?.endpoint != endpoint {
                if s.slots[member] == nil { s.slots[member] = newSlot(endpoint: endpoint) }
                s.slots[member]?.endpoint = endpoint
                start.append((member, endpoint))
            }
            return (stop, close, start)
        }
    }

    /// Records the dialer task; false if the peer was reconfigured meanwhile (cancel it).
    func setDialer(_ task: Task<Void, Never>, for member: MemberID, endpoint: PeerEndpoint) -> Bool {
        state.withLockedValue { s in
            guard !s.shuttingDown, s.slots[member]?.endpoint == endpoint, s.slots[member]?.dialer == nil else {
                return false
            }
            s.slots[member]?.dialer = task
            return true
        }
    }

    func isConfigured(_ member: MemberID, at endpoint: PeerEndpoint) -> Bool {
        state.withLockedValue { !$0.shuttingDown && $0.slots[member]?.endpoint == endpoint }
    }

    var configuredPeers: [MemberID] {
        state.withLockedValue { s in s.slots.compactMap { $0.value.endpoint == nil ? nil : $0.key }.sorted() }
    }

    /// Marks the registry closed; returns everything to stop.
    func beginShutdown() -> (dialers: [Task<Void, Never>], channels: [any Channel], pending: [PendingRequest]) {
        let result = state.withLockedValue { s in
            s.shuttingDown = true
            let dialers = s.slots.values.compactMap(\.dialer)
            var channels = s.slots.values.flatMap { slot in
                (slot.outbound.map { [$0] } ?? []).map(\.channel) + slot.inbound.map(\.channel)
            }
            let listed = Set(channels.map { ObjectIdentifier($0) })
            channels += s.acceptedChannels.filter { !listed.contains($0.key) }.map(\.value)
            let pending = Array(s.pending.values)
            s.pending.removeAll()
            return (dialers, channels, pending)
        }
        continuation.finish()
        return result
    }

    func status() -> [PeerStatus] {
        state.withLockedValue { s in
            s.slots.map { member, slot in
                PeerStatus(
                    member: member, role: slot.role, endpoint: slot.endpoint, outboundConnected: slot.outbound != nil,
                    inboundConnections: slot.inbound.count, queuedMessages: slot.queue.count,
                    queuedBytes: slot.queue.bytes, droppedMessages: slot.queue.droppedMessages)
            }.sorted { $0.member < $1.member }
        }
    }
}
