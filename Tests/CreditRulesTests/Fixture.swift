import ChainCore
import Crypto
import Foundation
import Ledger
import Testing

@testable import CreditRules

/// SHA-256 (the standard suite's hash) for the tests.
struct TestHasher: ChainHasher {
    func digest(_ data: [UInt8]) -> Hash {
        // swift-format-ignore: NeverForceTry
        try! Hash(bytes: Array(SHA256.hash(data: data)))
    }
}

/// Ed25519 verification (the standard suite) for the tests.
struct TestVerifier: ChainVerifier {
    var suite: SuiteID { .standard }
    func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}

/// A seeded generator so property tests replay.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// An enterprise (information subject): its USCC stays off chain; the chain sees its pseudonym.
struct TestEnterprise {
    let uscc: String
    let key: Curve25519.Signing.PrivateKey
    let subject: Hash

    static let pseudonymKey = SymmetricKey(data: Array(repeating: UInt8(7), count: 32))

    init(uscc: String, seed: UInt8) {
        self.uscc = uscc
        // swift-format-ignore: NeverForceTry
        key = try! Curve25519.Signing.PrivateKey(rawRepresentation: Array(repeating: seed, count: 32))
        let mac = HMAC<SHA256>.authenticationCode(
            for: Domain.subject.prefix + Array(uscc.utf8), using: TestEnterprise.pseudonymKey)
        // swift-format-ignore: NeverForceTry
        subject = try! Hash(bytes: Array(mac))
    }

    var publicKey: [UInt8] { Array(key.publicKey.rawRepresentation) }

    func sign(_ domain: Domain, _ canonical: [UInt8], chainID: ChainID) -> [UInt8] {
        // swift-format-ignore: NeverForceTry
        Array(try! key.signature(for: DomainSeparation.signingBytes(domain, chainID: chainID, canonical)))
    }
}

func mid(_ s: String) -> MemberID {
    // swift-format-ignore: NeverForceTry
    try! MemberID(s)
}

/// A consortium with every role, the sample catalog and a driver that executes blocks.
struct Fixture {
    static let supervisor = mid("pboc-gz")
    static let bureauA = mid("bureau-a")
    static let bureauB = mid("bureau-b")
    static let hub = mid("gd-hub")
    static let court = mid("gd-court")
    static let bankA = mid("bank-a")
    static let bankB = mid("bank-b")
    static let mediator = mid("mediator-1")
    static let chainID = ChainID(Hash(w0: 1, w1: 2, w2: 3, w3: 4))
    /// 2026-01-01T00:00:00+08:00.
    static let start: Int64 = 1_767_196_800_000
    static let day: Int64 = 86_400_000

    static let catalog: [DataType] = {
        let url = Bundle.module.url(forResource: "catalog", withExtension: "json", subdirectory: "Resources")!
        // swift-format-ignore: NeverForceTry
        let data = try! Data(contentsOf: url)
        // swift-format-ignore: NeverForceTry
        return try! CatalogFile.decode(Array(data)).dataTypes
    }()

    static func genesis(parameters: CreditParameters = CreditParameters()) -> CreditGenesis {
        func member(_ id: MemberID, _ role: MemberRole, registrar: Bool = false) -> Member {
            Member(id: id, role: role, signingKey: Array(id.value.utf8), registrar: registrar)
        }
        let members = [
            member(supervisor, .supervisor), member(bureauA, .bureau, registrar: true), member(bureauB, .bureau),
            member(hub, .dataSource, registrar: true), member(court, .dataSource), member(bankA, .bank),
            member(bankB, .bank), member(mediator, .mediator),
        ]
        let sources = Set(catalog.map(\.source)).sorted()
        return CreditGenesis(
            members: members, catalog: catalog,
            sourcePublishers: sources.map { SourcePublisher(source: $0, member: $0 == "GD-HPC" ? court : hub) },
            purposes: CreditGenesis.defaultPurposes, parameters: parameters,
            points: [PointAllocation(member: bankA, points: 10_000), PointAllocation(member: bankB, points: 10_000)])
    }

    var app: CreditRulesApplication
    var height: UInt64 = 0
    var time: Int64 = Fixture.start
    var nextUnique: UInt64 = 0
    var blocks: [(BlockContext, [TransactionEnvelope])] = []

    init(parameters: CreditParameters = CreditParameters()) {
        // swift-format-ignore: NeverForceTry
        app = try! CreditRulesApplication(
            genesis: Fixture.genesis(parameters: parameters), hasher: TestHasher(), verifier: TestVerifier())
    }

    func envelope<P: CreditPayload>(_ signer: MemberID, _ payload: P, unique: UInt64, expiry: UInt64)
        -> TransactionEnvelope
    {
        var id = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { id[i] = UInt8(truncatingIfNeeded: unique >> UInt64(56 - 8 * i)) }
        return TransactionEnvelope(
            suite: .standard, signer: signer, uniqueID: id + id, expiry: Height(expiry), kind: P.kind.rawValue,
            payload: payload.canonicalBytes)
    }

    mutating func tx<P: CreditPayload>(_ signer: MemberID, _ payload: P) -> TransactionEnvelope {
        nextUnique += 1
        return envelope(signer, payload, unique: nextUnique, expiry: height + 10)
    }

    /// Executes one block of envelopes, advancing block time by `advance` milliseconds first.
    @discardableResult
    mutating func block(_ txs: [TransactionEnvelope], advance: Int64 = 5_000) -> BlockExecution {
        height += 1
        time += advance
        let ctx = BlockContext(
            chainID: Fixture.chainID, height: Height(height), timestampMillis: time, proposer: Fixture.hub)
        blocks.append((ctx, txs))
        return app.executeBlock(ctx, transactions: txs)
    }

    /// Runs one transaction in its own block and returns its result code.
    @discardableResult
    mutating func run<P: CreditPayload>(_ signer: MemberID, _ payload: P, advance: Int64 = 5_000) -> String {
        let t = tx(signer, payload)
        return block([t], advance: advance).results[0].code
    }

    // MARK: - Domain shortcuts

    mutating func register(_ e: TestEnterprise) {
        let code = run(Fixture.hub, RegisterEnterprisePayload(subject: e.subject, publicKey: e.publicKey))
        precondition(code == "ok", code)
    }

    func consentBody(
        _ e: TestEnterprise, bank: MemberID = Fixture.bankA, purpose: Purpose = .loanApplication,
        categories: [String] = [], types: [String] = [], from: Int64? = nil, until: Int64? = nil, nonce: UInt8 = 1
    ) -> ConsentBody {
        ConsentBody(
            subject: e.subject, bank: bank, purpose: purpose, categories: categories, types: types,
            validFromMillis: from ?? time, validUntilMillis: until ?? time + 30 * Fixture.day,
            nonce: Array(repeating: nonce, count: 16))
    }

    func grant(_ e: TestEnterprise, _ body: ConsentBody) -> GrantConsentPayload {
        GrantConsentPayload(
            body: body, signature: e.sign(CreditDomains.consent, body.canonicalBytes, chainID: Fixture.chainID))
    }

    /// Registers a consent and returns its id.
    mutating func consent(_ e: TestEnterprise, _ body: ConsentBody) -> Hash {
        let code = run(Fixture.bankA, grant(e, body))
        precondition(code == "ok", code)
        return body.id(using: TestHasher())
    }

    static func commitment(
        _ e: TestEnterprise, type: String, record: String, version: UInt32 = 1, start: Int32? = nil, end: Int32? = nil,
        negative: Bool = false, salt: UInt8 = 0
    ) -> CommitmentItem {
        CommitmentItem(
            typeCode: type, subject: e.subject, recordID: record, version: version,
            commitment: TestHasher().hash(Domain.record, [salt] + Array(record.utf8)), eventStart: start, eventEnd: end,
            negative: negative)
    }

    var lastResultCode: String? { nil }
}

/// Day number of a civil date.
func dayOf(_ y: Int, _ m: Int, _ d: Int) -> Int32 { Int32(CivilDate(year: y, month: m, day: d).dayNumber) }
