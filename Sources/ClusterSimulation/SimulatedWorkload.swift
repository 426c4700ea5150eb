import ChainCore
import Ledger

/// What the simulated clients run: the application every replica starts from, the transactions
/// clients submit, and the application-level checks on every committed height.
///
/// The simulator stays deterministic: a workload draws randomness only from the simulation's
/// generator it is handed, and learns about the chain only through `committed`, which the engine
/// calls once per height, in height order, with the first honest replica's block, results and
/// state (S1/S5 make every honest replica agree on them).
public protocol SimulatedWorkload: Sendable {
    associatedtype App: Application

    /// The genesis application for this chain and seed; called once, before the run.
    mutating func genesis(chainID: ChainID, seed: UInt64) -> App

    /// The transactions clients submit at this tick (every 40 ms of simulated time).
    mutating func nextTransactions(nowMillis: Int64, using random: inout SimulationRandom) -> [TransactionEnvelope]

    /// A height committed for the first time by an honest replica: its block, the block's results
    /// and the application state after it. Returns the application checkers' violations.
    mutating func committed(_ block: Block, results: [TransactionResult], state: App) -> [String]

    /// Committed transactions per "kind result-code", for the report and the tests.
    var outcomes: [String: Int] { get }
}

/// The application a simulation runs (`creditchain simulate --app`).
public enum SimulatedApplication: String, Sendable, CaseIterable {
    /// `KeyValueTestApplication` with a put-only workload.
    case testKV = "test-kv"
    /// `CreditRulesApplication` with the credit-flow workload (`CreditRulesWorkload`).
    case creditRules = "credit-rules"
}

/// The key-value workload: two puts every tick, signed (nominally) by the first validator, over
/// 16 keys. It draws nothing from the generator, so seeds replay the runs they always did.
public struct KeyValueWorkload: SimulatedWorkload {
    var seed: UInt64 = 0
    var counter: UInt64 = 0
    public private(set) var outcomes: [String: Int] = [:]
    static let signer: MemberID = {
        guard let id = try? MemberID("validator-00") else { preconditionFailure("well-formed member id") }
        return id
    }()

    public init() {}

    public mutating func genesis(chainID: ChainID, seed: UInt64) -> KeyValueTestApplication {
        self.seed = seed
        let hasher = SimulationHasher()
        return KeyValueTestApplication(
            hasher: hasher, genesisRoot: hasher.hash(Domain("creditchain/test-kv-state/v1"), []))
    }

    public mutating func nextTransactions(nowMillis: Int64, using random: inout SimulationRandom)
        -> [TransactionEnvelope]
    {
        (0..<2).map { _ in
            counter += 1
            let c = counter
            var id = [UInt8](repeating: 0, count: 16)
            for k in 0..<8 { id[8 + k] = UInt8(truncatingIfNeeded: c >> (56 - 8 * UInt64(k))) }
            id[0] = UInt8(truncatingIfNeeded: seed)
            return TransactionEnvelope(
                suite: .standard, signer: Self.signer, uniqueID: id, expiry: Height(1_000_000),
                kind: KeyValueTestApplication.putKind,
                payload: KeyValueTestApplication.putPayload(key: Array("k\(c % 16)".utf8), value: Array("v\(c)".utf8)),
                signature: [1])
        }
    }

    public mutating func committed(_ block: Block, results: [TransactionResult], state: KeyValueTestApplication)
        -> [String]
    {
        for r in results { outcomes["kv.put \(r.code)", default: 0] += 1 }
        return []
    }
}
