import ChainCore
import CreditRules
import Ledger

/// A deliberate defect of the simulated credit application, for the tests that prove the credit
/// checkers can fail.
public enum CreditFault: String, Sendable {
    /// Consent revocations are reported `ok` but never applied: orders keep succeeding under a
    /// consent the enterprise revoked (Art. 13).
    case ignoreRevocations
}

/// `CreditRulesApplication` as the simulated replicas run it, with an optional injected defect.
public struct SimulatedCreditApplication: Application {
    public var rules: CreditRulesApplication
    public let fault: CreditFault?

    public init(rules: CreditRulesApplication, fault: CreditFault? = nil) {
        self.rules = rules
        self.fault = fault
    }

    public var stateRoot: Hash { rules.stateRoot }
    public func stateEntries() -> [StateWrite] { rules.stateEntries() }

    public func precheck(_ transaction: TransactionEnvelope, context: BlockContext) -> TransactionResult? {
        rules.precheck(transaction, context: context)
    }

    public mutating func executeBlock(_ context: BlockContext, transactions: [TransactionEnvelope]) -> BlockExecution {
        guard fault == .ignoreRevocations else { return rules.executeBlock(context, transactions: transactions) }
        let revoke = TransactionKind.revokeConsent.rawValue
        var execution = rules.executeBlock(context, transactions: transactions.filter { $0.kind != revoke })
        var results = [TransactionResult]()
        var k = 0
        for tx in transactions {
            if tx.kind == revoke {
                results.append(.ok)
            } else {
                results.append(execution.results[k])
                k += 1
            }
        }
        execution.results = results
        return execution
    }
}

/// The credit checkers, run on every committed height against the first honest replica's
/// block, results and state. The model is built from committed transactions and their results
/// only, never from the state it checks:
///
/// - C1 points are conserved: members' balances plus the reservations of open orders equal the
///   genesis allocation; reservations are never negative and closed orders hold none.
/// - C2 a consent is registered only with the subject's valid signature under its registered
///   key, for a validity that has not ended.
/// - C3 an order succeeds only under a consent registered earlier, for the ordering bank and the
///   order's purpose, valid at the block's time and not revoked by an earlier committed
///   revocation (Art. 13, 18); the state's order matches, its records are in the consent's scope
///   (or public), and the number of orders equals the number of successful order transactions.
/// - C4 a delivery cites an order placed earlier and comes from the source of every record it
///   delivers; C5 a receipt comes from the ordering bank.
/// - C7 every committed envelope carries its member's valid signature.
struct CreditInvariantChecker: Sendable {
    let chainID: ChainID
    let memberKeys: [MemberID: [UInt8]]
    let totalPoints: Int64
    let verifier = SimulationVerifier()
    let hasher = SimulationHasher()
    var enterpriseKeys: [Hash: [UInt8]] = [:]
    var consents: [Hash: ConsentBody] = [:]
    var revokedAt: [Hash: Int64] = [:]
    var orders: [(consentID: Hash, bank: MemberID)] = []
    var openOrders = Set<UInt64>()

    init(chainID: ChainID, genesis: CreditGenesis) {
        self.chainID = chainID
        var keys = [MemberID: [UInt8]]()
        for m in genesis.members { keys[m.id] = m.signingKey }
        memberKeys = keys
        totalPoints = genesis.points.reduce(0) { $0 + $1.points }
    }

    mutating func check(_ block: Block, results: [TransactionResult], app: CreditRulesApplication) -> [String] {
        var out = [String]()
        let height = block.header.height.value
        let time = block.header.timestampMillis
        func fail(_ s: String) { out.append("\(s) (height \(height))") }
        for (index, (tx, result)) in zip(block.transactions, results).enumerated() {
            let at = "tx \(index)"
            guard let key = memberKeys[tx.signer],
                tx.verifySignature(with: verifier, chainID: chainID, publicKey: key)
            else {
                fail("C7: \(at) by \(tx.signer) does not carry its member's signature")
                continue
            }
            guard result.isOK, let kind = TransactionKind(rawValue: tx.kind) else { continue }
            switch kind {
            case .registerEnterprise:
                guard let p = try? RegisterEnterprisePayload(canonicalBytes: tx.payload) else { continue }
                enterpriseKeys[p.subject] = p.publicKey
            case .grantConsent:
                guard let p = try? GrantConsentPayload(canonicalBytes: tx.payload) else {
                    fail("C2: \(at) consent accepted with a malformed payload")
                    continue
                }
                let signed =
                    enterpriseKeys[p.body.subject].map {
                        verifier.verify(
                            signature: p.signature, domain: CreditDomains.consent, chainID: chainID,
                            canonical: p.body.canonicalBytes, publicKey: $0)
                    } ?? false
                if !signed { fail("C2: \(at) consent accepted without the subject's valid signature") }
                if !(p.body.validFromMillis < p.body.validUntilMillis && time < p.body.validUntilMillis) {
                    fail("C2: \(at) consent accepted outside its validity")
                }
                consents[p.body.id(using: hasher)] = p.body
            case .revokeConsent:
                guard let p = try? RevokeConsentPayload(canonicalBytes: tx.payload) else { continue }
                if revokedAt[p.revocation.consentID] == nil { revokedAt[p.revocation.consentID] = time }
            case .placeOrder:
                guard let p = try? PlaceOrderPayload(canonicalBytes: tx.payload) else { continue }
                let id = UInt64(orders.count)
                orders.append((p.consentID, tx.signer))
                openOrders.insert(id)
                guard let c = consents[p.consentID] else {
                    fail("C3: \(at) order \(id) placed under a consent never registered")
                    continue
                }
                if c.bank != tx.signer || c.purpose != p.purpose {
                    fail(
                        "C3: \(at) order \(id) by \(tx.signer) for \(p.purpose) under a consent for \(c.bank)/\(c.purpose)"
                    )
                }
                if time < c.validFromMillis || time >= c.validUntilMillis {
                    fail("C3: \(at) order \(id) placed at \(time) outside its consent's validity")
                }
                if let revoked = revokedAt[p.consentID] {
                    fail("C3: \(at) order \(id) placed under a consent revoked at \(revoked)")
                }
                guard let order = app.order(id) else {
                    fail("C3: \(at) order \(id) succeeded but is not in the state")
                    continue
                }
                if order.consentID != p.consentID || order.bank != tx.signer || order.placedAtMillis != time {
                    fail("C3: \(at) order \(id) in the state differs from its transaction")
                }
                for item in order.items {
                    guard let type = app.dataType(item.record.typeCode)?.type else {
                        fail("C3: order \(id) lists a record of an unknown type")
                        continue
                    }
                    if !(c.covers(type) || type.isOpenUnderAnyConsent) {
                        fail("C3: order \(id) lists \(type.code), outside its consent's scope")
                    }
                }
            case .recordDelivery:
                guard let p = try? RecordDeliveryPayload(canonicalBytes: tx.payload) else { continue }
                guard p.orderID < UInt64(orders.count), let order = app.order(p.orderID) else {
                    fail("C4: \(at) delivery for order \(p.orderID), never placed")
                    continue
                }
                for d in p.items {
                    guard let item = order.items.first(where: { $0.record == d.record }) else {
                        fail("C4: \(at) delivery of a record order \(p.orderID) does not list")
                        continue
                    }
                    if item.publisher != tx.signer {
                        fail("C4: \(at) \(tx.signer) delivered a record published by \(item.publisher)")
                    }
                }
            case .recordReceipt:
                guard let p = try? RecordReceiptPayload(canonicalBytes: tx.payload) else { continue }
                if p.orderID >= UInt64(orders.count) || orders[Int(p.orderID)].bank != tx.signer {
                    fail("C5: \(at) receipt for order \(p.orderID) not by its bank")
                }
            default:
                break
            }
        }
        let count = app.count("order")
        if count != UInt64(orders.count) {
            fail("C3: \(count) orders in the state, \(orders.count) successful order transactions")
        }
        var total: Int64 = 0
        for id in memberKeys.keys { total += app.points(id) }
        for id in openOrders.sorted() {
            guard let order = app.order(id) else { continue }
            if order.reservedPoints < 0 { fail("C1: order \(id) reserves \(order.reservedPoints) points") }
            if order.status == .open {
                total += order.reservedPoints
            } else {
                if order.reservedPoints != 0 { fail("C1: closed order \(id) still reserves points") }
                openOrders.remove(id)
            }
        }
        if total != totalPoints { fail("C1: points total \(total), genesis allocated \(totalPoints)") }
        return out
    }
}
