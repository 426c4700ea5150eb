import ChainCore
import Ledger

/// Bounds of a node's mempool (config `mempool`). Everything is bounded: a full pool answers
/// "busy" rather than growing.
public struct MempoolLimits: Codable, Sendable, Equatable {
    /// Most pending transactions held.
    public var transactionsMax: Int
    /// Most pending bytes (canonical envelope bytes) held.
    public var bytesMax: Int
    /// Largest accepted envelope, in canonical bytes.
    public var transactionBytesMax: Int
    /// How far past the current height an expiry may be (replay ids are remembered until expiry,
    /// so this bounds that memory too).
    public var expiryAheadMax: UInt64

    public init(
        transactionsMax: Int = 50_000, bytesMax: Int = 128 << 20, transactionBytesMax: Int = 256 << 10,
        expiryAheadMax: UInt64 = 100_000
    ) {
        self.transactionsMax = transactionsMax
        self.bytesMax = bytesMax
        self.transactionBytesMax = transactionBytesMax
        self.expiryAheadMax = expiryAheadMax
    }

    enum CodingKeys: String, CodingKey { case transactionsMax, bytesMax, transactionBytesMax, expiryAheadMax }

    public init(from decoder: any Decoder) throws {
        let d = MempoolLimits()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        transactionsMax = try c.decodeIfPresent(Int.self, forKey: .transactionsMax) ?? d.transactionsMax
        bytesMax = try c.decodeIfPresent(Int.self, forKey: .bytesMax) ?? d.bytesMax
        transactionBytesMax = try c.decodeIfPresent(Int.self, forKey: .transactionBytesMax) ?? d.transactionBytesMax
        expiryAheadMax = try c.decodeIfPresent(UInt64.self, forKey: .expiryAheadMax) ?? d.expiryAheadMax
    }
}

/// A transaction that passed the stateless checks (decoding, size, signature), with its hash and
/// size computed once.
public struct VerifiedTransaction: Sendable, Hashable {
    public let envelope: TransactionEnvelope
    public let hash: Hash
    public let size: Int

    public init(envelope: TransactionEnvelope, hash: Hash, size: Int) {
        self.envelope = envelope
        self.hash = hash
        self.size = size
    }
}

/// The verdict of admitting one transaction.
public enum AdmissionVerdict: Sendable, Equatable {
    /// Added to the pool (gossip it on).
    case accepted(Hash)
    /// Already pending or committed with the same hash: nothing to do, not an error for the client.
    case duplicate(Hash)
    /// Refused, with a stable code (`mempool.busy` means retry later).
    case rejected(NodeError)
}

/// The pending-transaction pool of one replica, as a state machine: it holds no locks and does no
/// I/O, so the replica's owner calls it and tests drive it directly.
///
/// Replay protection: a unique id is remembered from admission until its expiry height has passed,
/// whether the transaction is pending or committed; the application re-checks at execution.
public struct Mempool: Sendable {
    public let limits: MempoolLimits
    private var pending: [Hash: VerifiedTransaction] = [:]
    /// Admission order; hashes removed from `pending` are skipped lazily.
    private var order: [Hash] = []
    private var orderStart = 0
    /// Unique id → (expiry, hash) of every pending or committed unexpired transaction.
    private var uniqueIDs: [UniqueKey: (expiry: Height, hash: Hash)] = [:]
    /// Expiry height → unique ids expiring then, so pruning costs what expires, not the pool size.
    private var expiring: [UInt64: [UniqueKey]] = [:]
    public private(set) var bytes = 0
    /// The last committed height the pool knows of.
    public private(set) var height: Height

    struct UniqueKey: Hashable, Sendable {
        let signer: MemberID
        let id: [UInt8]
    }

    public init(limits: MempoolLimits, height: Height) {
        self.limits = limits
        self.height = height
    }

    public var count: Int { pending.count }

    public func contains(_ hash: Hash) -> Bool { pending[hash] != nil }

    /// Stateful admission of a transaction whose signature was already verified.
    public mutating func admit(_ tx: VerifiedTransaction) -> AdmissionVerdict {
        if pending[tx.hash] != nil { return .duplicate(tx.hash) }
        let key = UniqueKey(signer: tx.envelope.signer, id: tx.envelope.uniqueID)
        if let seen = uniqueIDs[key] {
            if seen.hash == tx.hash { return .duplicate(tx.hash) }
            return .rejected(NodeError(code: "mempool.replayed", reason: "unique id already used by this signer"))
        }
        if tx.envelope.expiry <= height {
            return .rejected(
                NodeError(code: "mempool.expired", reason: "expiry \(tx.envelope.expiry) is not after height \(height)")
            )
        }
        if tx.envelope.expiry.value > height.value &+ limits.expiryAheadMax {
            return .rejected(
                NodeError(
                    code: "mempool.expiry_too_far",
                    reason: "expiry may be at most \(limits.expiryAheadMax) heights ahead of \(height)"))
        }
        if tx.size > limits.transactionBytesMax {
            return .rejected(
                NodeError(
                    code: "mempool.too_large",
                    reason: "envelope of \(tx.size) bytes exceeds \(limits.transactionBytesMax)"))
        }
        if pending.count >= limits.transactionsMax || bytes + tx.size > limits.bytesMax {
            return .rejected(NodeError(code: "mempool.busy", reason: "the mempool is full; retry later"))
        }
        pending[tx.hash] = tx
        order.append(tx.hash)
        remember(key, expiry: tx.envelope.expiry, hash: tx.hash)
        bytes += tx.size
        return .accepted(tx.hash)
    }

    /// Up to `countMax` transactions / `bytesMax` bytes in admission order, for a proposal. They stay
    /// pending until committed (a proposal may fail).
    public func batch(countMax: Int, bytesMax: Int) -> [VerifiedTransaction] {
        var out: [VerifiedTransaction] = []
        var size = 0
        var i = orderStart
        while i < order.count && out.count < countMax {
            if let tx = pending[order[i]] {
                if size + tx.size > bytesMax { break }
                out.append(tx)
                size += tx.size
            }
            i += 1
        }
        return out
    }

    /// Removes transactions committed at `height`, remembers their unique ids until expiry, and drops
    /// pending transactions that can no longer be included.
    public mutating func committed(_ hashes: [Hash], envelopes: [TransactionEnvelope], at newHeight: Height) {
        for hash in hashes {
            if let tx = pending.removeValue(forKey: hash) { bytes -= tx.size }
        }
        for (hash, env) in zip(hashes, envelopes) {
            let key = UniqueKey(signer: env.signer, id: env.uniqueID)
            if uniqueIDs[key] == nil && env.expiry > newHeight { remember(key, expiry: env.expiry, hash: hash) }
        }
        let old = height
        if newHeight > height { height = newHeight }
        // Expired transactions can never be included; forget them and their ids.
        var h = old.value &+ 1
        while h <= height.value {
            for key in expiring.removeValue(forKey: h) ?? [] {
                if let value = uniqueIDs.removeValue(forKey: key), let tx = pending.removeValue(forKey: value.hash) {
                    bytes -= tx.size
                }
            }
            h += 1
        }
        compactOrder()
    }

    private mutating func remember(_ key: UniqueKey, expiry: Height, hash: Hash) {
        uniqueIDs[key] = (expiry, hash)
        expiring[expiry.value, default: []].append(key)
    }

    private mutating func compactOrder() {
        while orderStart < order.count && pending[order[orderStart]] == nil { orderStart += 1 }
        if orderStart > 4096 && orderStart * 2 > order.count {
            order.removeFirst(orderStart)
            orderStart = 0
        }
        if pending.isEmpty {
            order.removeAll(keepingCapacity: true)
            orderStart = 0
        }
    }
}
