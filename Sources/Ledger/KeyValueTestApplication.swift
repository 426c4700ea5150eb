import ChainCore

/// A tiny deterministic `Application` for tests and the cluster simulator: a key-value store plus
/// one system transaction that replaces the validator set.
///
/// Kinds: 1 = put (payload: key ‖ value, each u32-length-prefixed), 2 = validator set (payload:
/// u64 delay ‖ validator list; takes effect at the executing height + max(delay, 2)).
/// The state root chains every block's writes: root' = H("creditchain/test-kv-state/v1",
/// root ‖ height ‖ writes), so replicas that applied the same blocks agree on it and any divergence
/// shows. (The production state tree is a sparse Merkle tree; this app only needs determinism.)
public struct KeyValueTestApplication: Application {
    public static let putKind: UInt16 = 1
    public static let validatorSetKind: UInt16 = 2
    public static let keyMax = 64
    public static let valueMax = 1024
    /// A validator change never takes effect earlier than this many heights after its block.
    public static let validatorDelayMin: UInt64 = 2
    static let stateDomain = Domain("creditchain/test-kv-state/v1")

    public private(set) var stateRoot: Hash
    public private(set) var entries: [[UInt8]: [UInt8]]
    public private(set) var height: Height
    private let hasher: any ChainHasher

    public init(hasher: any ChainHasher, genesisRoot: Hash = .zero) {
        self.hasher = hasher
        self.stateRoot = genesisRoot
        self.entries = [:]
        self.height = Height(0)
    }

    /// Loads entries a node recorded, with the root and height recorded beside them (the root is
    /// a hash chain over blocks, so entries alone cannot recompute it).
    public init(hasher: any ChainHasher, entries: [(key: [UInt8], value: [UInt8])], stateRoot: Hash, height: Height) {
        self.hasher = hasher
        self.stateRoot = stateRoot
        self.height = height
        var map: [[UInt8]: [UInt8]] = [:]
        map.reserveCapacity(entries.count)
        for e in entries { map[e.key] = e.value }
        self.entries = map
    }

    public func stateEntries() -> [StateWrite] {
        entries.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { StateWrite(key: $0.key, value: $0.value) }
    }

    /// The canonical payload of a put.
    public static func putPayload(key: [UInt8], value: [UInt8]) -> [UInt8] {
        var e = CanonicalEncoder()
        e.lengthPrefixed(key, max: keyMax)
        e.lengthPrefixed(value, max: valueMax)
        return e.bytes
    }

    /// The canonical payload of a validator-set change.
    public static func validatorSetPayload(delay: UInt64, validators: [Validator]) -> [UInt8] {
        var e = CanonicalEncoder()
        e.u64(delay)
        e.array(validators, max: ValidatorSet.sizeMax)
        return e.bytes
    }

    public func precheck(_ transaction: TransactionEnvelope, context: BlockContext) -> TransactionResult? {
        switch transaction.kind {
        case Self.putKind, Self.validatorSetKind: return nil
        default: return TransactionResult(code: "kv.unknown_kind")
        }
    }

    public mutating func executeBlock(_ context: BlockContext, transactions: [TransactionEnvelope]) -> BlockExecution {
        var results = [TransactionResult]()
        results.reserveCapacity(transactions.count)
        var writes = [[UInt8]: [UInt8]]()
        var updates = [ValidatorSetUpdate]()
        for tx in transactions {
            var d = CanonicalDecoder(tx.payload)
            switch tx.kind {
            case Self.putKind:
                guard let key = try? d.lengthPrefixed("key", max: Self.keyMax),
                    let value = try? d.lengthPrefixed("value", max: Self.valueMax), (try? d.finish()) != nil
                else {
                    results.append(TransactionResult(code: "kv.bad_payload"))
                    continue
                }
                writes[key] = value
                results.append(.ok)
            case Self.validatorSetKind:
                guard let delay = try? d.u64("delay"),
                    let list: [Validator] = try? d.array("validators", max: ValidatorSet.sizeMax, minElementSize: 9),
                    (try? d.finish()) != nil, (try? ValidatorSet(list)) != nil
                else {
                    results.append(TransactionResult(code: "kv.bad_payload"))
                    continue
                }
                let effective = Height(context.height.value + max(delay, Self.validatorDelayMin))
                updates.append(ValidatorSetUpdate(effectiveHeight: effective, validators: list))
                results.append(.ok)
            default:
                results.append(TransactionResult(code: "kv.unknown_kind"))
            }
        }
        let sortedWrites = writes.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map {
            StateWrite(key: $0.key, value: $0.value)
        }
        var e = CanonicalEncoder()
        e.hash(stateRoot)
        e.value(context.height)
        e.u32(UInt32(sortedWrites.count))
        for w in sortedWrites {
            e.lengthPrefixed(w.key, max: Self.keyMax)
            e.lengthPrefixed(w.value ?? [], max: Self.valueMax)
            entries[w.key] = w.value
        }
        stateRoot = hasher.hash(Self.stateDomain, e.bytes)
        height = context.height
        return BlockExecution(
            results: results, stateRoot: stateRoot, validatorUpdates: updates, writes: sortedWrites)
    }
}
