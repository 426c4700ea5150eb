import ChainCore
import Foundation
import Ledger

/// The signing key of every member allowed to submit transactions, as of the last committed
/// block: admission reads it from any task, the replica replaces it after each commit (members
/// join, rotate keys and leave by governance).
///
/// `@unchecked Sendable`: `keys` is only touched with `lock` held (an `NSLock`, for the reason
/// given at `VerifiedSignatures`).
public final class MemberKeyDirectory: @unchecked Sendable {
    private let lock = NSLock()
    private var keys: [MemberID: [UInt8]]

    public init(_ keys: [MemberID: [UInt8]]) { self.keys = keys }

    public func key(of member: MemberID) -> [UInt8]? { lock.withLock { keys[member] } }

    public func replace(with new: [MemberID: [UInt8]]) { lock.withLock { keys = new } }

    /// Takes the keys of `application`'s state, or `genesisKeys` when it tracks none.
    public func replace(from application: any Application, genesisKeys: [MemberID: [UInt8]]) {
        replace(with: application.signingKeys() ?? genesisKeys)
    }
}

/// Envelope signatures this node has already checked, by transaction hash, with the key each
/// verified against: admission and execution consult it, so a node checks each transaction's
/// signature once whichever path sees it first (the hash covers the whole envelope, signature
/// included). Bounded: when full it is emptied, which only costs re-verification.
///
/// `@unchecked Sendable`: `entries` is only touched with `lock` held. An `NSLock` (a pthread
/// mutex) rather than Synchronization's `Mutex`: ThreadSanitizer does not see that `Mutex`'s
/// futex on Linux, and reported the parallel admission checks of one batch as a race.
public final class VerifiedSignatures: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [Hash: [UInt8]] = [:]
    public let countMax: Int

    public init(countMax: Int = 200_000) { self.countMax = max(1, countMax) }

    /// Whether `hash`'s signature verified against exactly `key`.
    public func contains(_ hash: Hash, key: [UInt8]) -> Bool { lock.withLock { entries[hash] == key } }

    public func note(_ hash: Hash, key: [UInt8]) {
        lock.withLock {
            if entries.count >= countMax { entries.removeAll(keepingCapacity: true) }
            entries[hash] = key
        }
    }

    public func forget(_ hash: Hash) { _ = lock.withLock { entries.removeValue(forKey: hash) } }
}

/// The stateless half of mempool admission: decode bounds, suite, known signer, signature.
/// It holds immutable values and the locked key directory, so any task may call it;
/// `verify(batch:)` spreads a batch over the cores because signature checks dominate admission cost.
public struct TransactionAdmission: Sendable {
    public let chainID: ChainID
    public let suite: SuiteID
    public let verifier: any ChainVerifier
    public let hasher: any ChainHasher
    /// Signing public key of every member allowed to submit transactions.
    public let memberKeys: MemberKeyDirectory
    public let transactionBytesMax: Int
    /// Shared with the node's block executor.
    public let verifiedSignatures: VerifiedSignatures

    public init(
        chainID: ChainID, suite: SuiteID, verifier: any ChainVerifier, hasher: any ChainHasher,
        memberKeys: MemberKeyDirectory, transactionBytesMax: Int,
        verifiedSignatures: VerifiedSignatures = VerifiedSignatures()
    ) {
        self.verifiedSignatures = verifiedSignatures
        self.chainID = chainID
        self.suite = suite
        self.verifier = verifier
        self.hasher = hasher
        self.memberKeys = memberKeys
        self.transactionBytesMax = transactionBytesMax
    }

    /// Decodes canonical envelope bytes (bounded) and verifies them.
    public func verify(bytes: [UInt8]) -> Result<VerifiedTransaction, NodeError> {
        guard bytes.count <= transactionBytesMax else {
            return .failure(
                NodeError(
                    code: "mempool.too_large", reason: "envelope of \(bytes.count) bytes exceeds \(transactionBytesMax)"
                ))
        }
        let envelope: TransactionEnvelope
        do { envelope = try TransactionEnvelope(canonicalBytes: bytes) } catch {
            return .failure(NodeError(code: "transaction.malformed", reason: "\(error)"))
        }
        return verify(envelope, size: bytes.count)
    }

    /// Verifies a decoded envelope.
    public func verify(_ envelope: TransactionEnvelope, size: Int? = nil) -> Result<VerifiedTransaction, NodeError> {
        let canonical = envelope.canonicalBytes
        guard canonical.count <= transactionBytesMax else {
            return .failure(
                NodeError(
                    code: "mempool.too_large",
                    reason: "envelope of \(canonical.count) bytes exceeds \(transactionBytesMax)"))
        }
        guard envelope.suite == suite else {
            return .failure(
                NodeError(code: "transaction.wrong_suite", reason: "this chain uses the \(suite.name) suite"))
        }
        guard let key = memberKeys.key(of: envelope.signer) else {
            return .failure(
                NodeError(code: "transaction.unknown_signer", reason: "\(envelope.signer) is not a member"))
        }
        let hash = hasher.hash(TransactionEnvelope.hashDomain, canonical)
        if !verifiedSignatures.contains(hash, key: key) {
            guard envelope.verifySignature(with: verifier, chainID: chainID, publicKey: key) else {
                return .failure(NodeError(code: "transaction.bad_signature", reason: "the signature does not verify"))
            }
            verifiedSignatures.note(hash, key: key)
        }
        return .success(VerifiedTransaction(envelope: envelope, hash: hash, size: canonical.count))
    }

    /// Verifies many envelopes on all cores; results keep the input order.
    public func verify(batch: [TransactionEnvelope], parallelism: Int = ProcessInfoCores.count) async -> [Result<
        VerifiedTransaction, NodeError
    >] {
        if batch.count < 8 || parallelism <= 1 { return batch.map { verify($0) } }
        let chunk = (batch.count + parallelism - 1) / parallelism
        return await withTaskGroup(of: (Int, [Result<VerifiedTransaction, NodeError>]).self) { group in
            for start in stride(from: 0, to: batch.count, by: chunk) {
                let slice = Array(batch[start..<min(start + chunk, batch.count)])
                group.addTask { (start, slice.map { self.verify($0) }) }
            }
            var out = [Result<VerifiedTransaction, NodeError>?](repeating: nil, count: batch.count)
            for await (start, results) in group {
                for (i, r) in results.enumerated() { out[start + i] = r }
            }
            return out.map { $0 ?? .failure(NodeError(code: "node.internal", reason: "missing verification")) }
        }
    }
}

/// The number of cores signature verification may use, read once: Foundation reads the cgroup
/// files on every `activeProcessorCount`, which cost two file opens per gossip batch.
public enum ProcessInfoCores {
    public static let count: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)
}
