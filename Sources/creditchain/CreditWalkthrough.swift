import API
import ArgumentParser
import AsyncHTTPClient
import ChainCore
import ChainCrypto
import CreditRules
import Foundation
import Ledger
import NIOCore
import Node

/// `creditchain walkthrough --dir DIR`: runs one credit-information flow end to end against a
/// running local `credit-rules` cluster, each member signing with its own key and submitting
/// through its own node, and prints what happened.
struct WalkthroughCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "walkthrough",
        abstract:
            "Run a credit flow (register, publish, consent, order, delivery, receipt, a refused order) on a local credit-rules cluster."
    )

    @Option(help: "Cluster directory (cluster up / demo).") var dir: String
    @Option(help: "The enterprise's USCC (stays off chain; the chain sees its pseudonym).")
    var uscc: String = "914401000802190W3Q"
    @Flag(help: "Print the summary as one JSON line.") var json = false

    func run() async throws {
        let quiet = json
        let say: @Sendable (String) -> Void = { line in if !quiet { print(line) } }
        let walk = try CreditWalkthrough(dir: absolutePath(dir), uscc: uscc, say: say)
        let summary = try await walk.run()
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        }
    }
}

/// One credit flow across the members of a local cluster (see `LocalCluster.prepare` for who is
/// who): the registrar bureau registers an enterprise's key under its pseudonym; a data source
/// commits to three records; the enterprise signs a consent for the bank; the bank orders; the
/// source seals the records to the bank's encryption key and records the delivery; the bank opens
/// them, checks each against its on-chain commitment and records the receipt, which pays the
/// source; an order by a member that holds no consent is refused and leaves only its rejection.
struct CreditWalkthrough: Sendable {
    /// What the flow observed, for scripts and tests.
    struct Summary: Codable, Sendable {
        var subject: String
        var consentID: String
        var orderID: UInt64
        var recordsVerified: Int
        var sourcePointsBefore: Int64
        var sourcePointsAfter: Int64
        var auditEntries: UInt64
        var refusedOrderCode: String
        /// The result of the first envelope of a member admitted by governance during the walk.
        var joinedMemberCode: String
        var heights: [UInt64]
    }

    /// A member acting through its own node's API.
    struct Actor: Sendable {
        var member: MemberID
        var api: String
        var token: String
        var signer: SigningKey
    }

    let dir: String
    let uscc: String
    let say: @Sendable (String) -> Void
    let genesis: Genesis
    let chainID: ChainID
    let suite: any CryptoSuite
    let manifest: ClusterManifest

    init(dir: String, uscc: String, say: @escaping @Sendable (String) -> Void) throws {
        self.dir = dir
        self.uscc = try USCC(uscc).description
        self.say = say
        (genesis, chainID) = try Genesis.load(path: dir + "/genesis.json") { CryptoSuites.suite($0).hasher }
        guard genesis.application.name == CreditApplicationSection.applicationName else {
            throw NodeError(code: "walkthrough.not_credit", reason: "the chain in \(dir) does not run credit-rules")
        }
        suite = CryptoSuites.suite(try genesis.suiteID)
        manifest = try ClusterManifest.load(dir: dir)
    }

    func member(role: String, where condition: (GenesisMember) -> Bool = { _ in true }) throws -> GenesisMember {
        guard let m = genesis.members.first(where: { $0.role == role && condition($0) }) else {
            throw NodeError(code: "walkthrough.no_member", reason: "no \(role) member in genesis")
        }
        return m
    }

    /// The member's signing key from the consortium directory and a fresh token on its node.
    func actor(_ m: GenesisMember) throws -> Actor {
        guard let node = manifest.nodes.first(where: { $0.name == m.id }) else {
            throw NodeError(code: "walkthrough.no_node", reason: "\(m.id) runs no node in this cluster")
        }
        return Actor(
            member: try MemberID(m.id), api: node.api, token: try node.issueOperatorToken(staff: "walkthrough"),
            signer: try MemberFiles(dir: dir).signingKey(of: m.id, suite: suite))
    }

    func run() async throws -> Summary {
        let registrarMember = try member(role: "bureau") { $0.registrar }
        let sourceMember = try member(role: "data-source") { !$0.sources.isEmpty }
        let bankMember = try member(role: "bank")
        let supervisorMember = try member(role: "supervisor")
        let registrar = try actor(registrarMember)
        let source = try actor(sourceMember)
        let bank = try actor(bankMember)
        let supervisor = try actor(supervisorMember)
        for a in [registrar, source, bank, supervisor] { await waitUntilAccepted(token: a.token, api: a.api) }
        let section = try CreditApplicationSection.decode(genesis.application.parameters)
        var heights: [UInt64] = []

        // 1. The registrar checks the enterprise's identity off chain, then registers its key under
        //    the pseudonym HMAC(pseudonym key, "creditchain/subject/v1" ‖ USCC).
        let secrets = try ConsortiumDirectory(path: dir).pseudonymSecrets()
        let subject = try Hash(
            bytes: suite.hmac(key: secrets.keyBytes, message: Domain.subject.prefix + Array(uscc.utf8)))
        let enterpriseKey = try suite.generateSigningKey()
        say(
            "1. \(registrar.member) (registrar) registers the enterprise's key under pseudonym \(subject.hex.prefix(16))…"
        )
        heights.append(
            try await submit(
                registrar, RegisterEnterprisePayload(subject: subject, publicKey: enterpriseKey.publicKey)
            ).height)

        // 2. The source commits to three of its records (one per category where it can).
        var chosen: [DataType] = []
        for t in section.types(publishedBy: source.member) where !t.negative {
            if !chosen.contains(where: { $0.category == t.category }) { chosen.append(t) }
            if chosen.count == 3 { break }
        }
        guard !chosen.isEmpty else {
            throw NodeError(code: "walkthrough.no_types", reason: "\(sourceMember.id) publishes no catalog type")
        }
        var records: [RecordRef: (type: DataType, values: [String: FieldValue], salt: [UInt8], commitment: Hash)] = [:]
        var items: [CommitmentItem] = []
        for (i, type) in chosen.enumerated() {
            let values = sampleValues(type)
            var salt = [UInt8](repeating: 0, count: 32)
            var rng = SystemRandomNumberGenerator()
            for j in salt.indices { salt[j] = rng.next() }
            let commitment = try RecordCommitment.commitment(
                type: type, values: values, salt: salt, hasher: suite.hasher)
            let ref = RecordRef(typeCode: type.code, recordID: "R-2026-\(i + 1)")
            records[ref] = (type, values, salt, commitment)
            let dates = RecordCommitment.eventDates(type: type, values: values)
            items.append(
                CommitmentItem(
                    typeCode: type.code, subject: subject, recordID: ref.recordID, version: 1, commitment: commitment,
                    eventStart: dates.start, eventEnd: dates.end, negative: type.negative))
        }
        say(
            "2. \(source.member) (data source) commits to \(items.count) records: "
                + chosen.map { "\($0.code) (\($0.category))" }.joined(separator: ", "))
        heights.append(try await submit(source, PublishCommitmentsPayload(items: items)).height)

        // 3. The enterprise signs a consent for the bank; the bank registers it.
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var nonce = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for j in nonce.indices { nonce[j] = rng.next() }
        let body = ConsentBody(
            subject: subject, bank: bank.member, purpose: .loanApplication, categories: [],
            types: chosen.map(\.code), validFromMillis: now - 60_000, validUntilMillis: now + 30 * 86_400_000,
            nonce: nonce)
        let consentSignature = try enterpriseKey.sign(
            DomainSeparation.signingBytes(CreditDomains.consent, chainID: chainID, body.canonicalBytes))
        let consentResult = try await submit(bank, GrantConsentPayload(body: body, signature: consentSignature))
        let consentID = body.id(using: suite.hasher)
        say("3. The enterprise signs a 30-day loan-application consent for \(bank.member): \(consentResult.detail)")
        heights.append(consentResult.height)

        // 4. The bank places an order citing the consent; the chain assigns its id.
        let order = try await submit(
            bank,
            PlaceOrderPayload(
                consentID: consentID, purpose: .loanApplication, loanReference: "LN-2026-0001",
                types: chosen.map(\.code)))
        guard order.detail.hasPrefix("order "), let orderID = UInt64(order.detail.dropFirst(6)) else {
            throw NodeError(code: "walkthrough.no_order_id", reason: "order result detail: \(order.detail)")
        }
        heights.append(order.height)
        let placed: OrderDoc = try await get(bank, "/v1/credit/orders/\(orderID)", after: order.height)
        say(
            "4. \(bank.member) places order \(orderID) (\(placed.items.count) records, \(placed.reservedPoints) points reserved)"
        )

        // 5. The source seals each ordered record to the bank's encryption key (off chain) and
        //    records the delivery: the ciphertext hashes go on chain, the records do not.
        let pointsBefore: PointsDoc = try await get(source, "/v1/credit/points/\(source.member)", after: order.height)
        guard let bankKey = Hex.decode(bankMember.encryptionKey) else {
            throw NodeError(code: "walkthrough.bad_key", reason: "bank encryption key")
        }
        let sourceView: OrderDoc = try await get(source, "/v1/credit/orders/\(orderID)", after: order.height)
        var sealed: [RecordRef: [UInt8]] = [:]
        var delivered: [DeliveredItem] = []
        for item in sourceView.items where item.publisher == source.member.value {
            let ref = RecordRef(typeCode: item.type, recordID: item.recordID)
            guard let record = records[ref] else { continue }
            let plaintext =
                record.salt + (try RecordCommitment.canonicalRecord(type: record.type, values: record.values))
            let aad = Array("order \(orderID)".utf8)
            let ciphertext = try suite.sealDelivery(plaintext, to: bankKey, aad: aad)
            sealed[ref] = ciphertext
            delivered.append(DeliveredItem(record: ref, ciphertextHash: suite.hasher.hash(Domain.delivery, ciphertext)))
        }
        let delivery = try await submit(source, RecordDeliveryPayload(orderID: orderID, items: delivered))
        heights.append(delivery.height)
        say("5. \(source.member) delivers \(delivered.count) sealed records off chain and records the delivery")

        // 6. The bank opens each record and checks it against the commitment on chain.
        let bankKeyPair = try suite.encryptionKey(
            pkcs8PEM: try PrivateKeyFile.read(
                path: dir + "/" + ConsortiumLayout.membersPath + "/" + bankMember.id + "/"
                    + ConsortiumLayout.memberEncryptionKeyFile))
        let delivering: OrderDoc = try await get(bank, "/v1/credit/orders/\(orderID)", after: delivery.height)
        var receipts: [ReceiptItem] = []
        for item in delivering.items {
            let ref = RecordRef(typeCode: item.type, recordID: item.recordID)
            guard let ciphertext = sealed[ref] else { continue }
            let plaintext = try suite.openDelivery(ciphertext, with: bankKeyPair, aad: Array("order \(orderID)".utf8))
            let opened = suite.hasher.hash(Domain.record, plaintext)
            receipts.append(ReceiptItem(record: ref, verified: opened.hex == item.commitment))
        }
        let verified = receipts.filter(\.verified).count
        let receipt = try await submit(bank, RecordReceiptPayload(orderID: orderID, items: receipts))
        heights.append(receipt.height)
        let pointsAfter: PointsDoc = try await get(
            source, "/v1/credit/points/\(source.member)", after: receipt.height)
        say(
            "6. \(bank.member) verifies \(verified) of \(receipts.count) records against their commitments; \(source.member) points \(pointsBefore.points) → \(pointsAfter.points)"
        )

        // 7. An order without a consent of its own is refused and changes nothing but its record.
        let refused = try await submit(
            registrar,
            PlaceOrderPayload(consentID: consentID, purpose: .accountDueDiligence, loanReference: nil, types: []),
            expectOK: false)
        say("7. \(registrar.member) tries to order on the bank's consent: refused with \(refused.code)")

        // 8. The supervisor reads the subject's audit trail (who, when, what, why).
        let audit: AuditDoc = try await get(
            supervisor, "/v1/credit/subjects/\(subject.hex)/audit", after: refused.height)
        say("8. \(supervisor.member) (supervisor) reads the audit trail: \(audit.total) entries")
        for e in audit.entries {
            say("     #\(e.sequence) height \(e.height) \(e.actor) \(e.action)\(e.purpose.map { " (\($0))" } ?? "")")
        }

        // 9. Governance admits a new bank; every node admits its envelopes from the block that
        //    executed the proposal on (no restart, no new genesis).
        let joinerKey = try suite.generateSigningKey()
        let joinerID = try MemberID("bank-joined-\(Hex.encode((0..<3).map { _ in UInt8.random(in: 0...255) }))")
        let proposal = try await submit(
            registrar,
            ProposePayload(action: .addMember(Member(id: joinerID, role: .bank, signingKey: joinerKey.publicKey))))
        say("9. \(registrar.member) proposes admitting \(joinerID) as a bank: \(proposal.detail)")
        var settled = proposal
        let nodeNames = Set(manifest.nodes.map(\.name))
        let governors = try genesis.members.filter { m in
            CreditApplicationSection.creditRole(of: m)?.isGoverning == true && m.id != registrarMember.id
                && nodeNames.contains(m.id)
        }.map { try actor($0) }
        for g in governors { await waitUntilAccepted(token: g.token, api: g.api) }
        let proposalID = try Self.proposalID(proposal.detail)
        for g in governors where !settled.detail.hasSuffix(" executed") {
            settled = try await submit(g, VotePayload(proposalID: proposalID, approve: true))
            say("   \(g.member) approves: \(settled.detail)")
        }
        guard settled.detail.hasSuffix(" executed") else {
            throw NodeError(code: "walkthrough.not_admitted", reason: "\(joinerID) was not admitted: \(settled.detail)")
        }
        // Through the bank's node, once it has committed the admission: an order on a consent that
        // does not exist is admitted, executed and refused by the rules (not by the mempool).
        let joiner = Actor(member: joinerID, api: bank.api, token: bank.token, signer: joinerKey)
        try await waitForHeight(bank, settled.height)
        let first = try await submit(
            joiner,
            PlaceOrderPayload(
                consentID: suite.hasher.hash(Domain.record, joinerKey.publicKey), purpose: .accountDueDiligence,
                loanReference: nil, types: []),
            expectOK: false)
        say("   \(joinerID)'s first envelope is admitted and executed at height \(first.height): \(first.code)")
        return Summary(
            subject: subject.hex, consentID: consentID.hex, orderID: orderID, recordsVerified: verified,
            sourcePointsBefore: pointsBefore.points, sourcePointsAfter: pointsAfter.points, auditEntries: audit.total,
            refusedOrderCode: refused.code, joinedMemberCode: first.code, heights: heights)
    }

    /// The id in a proposal's result detail (`proposal 4 open`).
    static func proposalID(_ detail: String) throws -> UInt64 {
        let words = detail.split(separator: " ")
        guard words.count >= 2, words[0] == "proposal", let id = UInt64(words[1]) else {
            throw NodeError(code: "walkthrough.bad_detail", reason: "no proposal id in \(detail)")
        }
        return id
    }

    /// Plausible values for every mandatory field of `type`.
    func sampleValues(_ type: DataType) -> [String: FieldValue] {
        var values: [String: FieldValue] = [:]
        for field in type.fields where field.optional != true {
            switch field.type {
            case .string: values[field.name] = .string("示例 \(field.name)")
            case .integer: values[field.name] = .integer(12)
            case .decimal: values[field.name] = .decimal(1_250_000)
            case .date: values[field.name] = .date(20_454)  // 2026-01-01
            case .uscc: values[field.name] = .uscc(uscc)
            case .enum: values[field.name] = .enumValue(field.values?.first ?? "")
            }
        }
        return values
    }

    // MARK: - HTTP

    struct Outcome {
        var code: String
        var detail: String
        var height: UInt64
    }

    /// Signs `payload` as `actor`, submits it to the actor's node and waits for its commit.
    func submit<P: CreditPayload>(_ actor: Actor, _ payload: P, expectOK: Bool = true) async throws -> Outcome {
        let tip = await StatusClient().status(actor.api)?.height ?? 0
        var unique = [UInt8](repeating: 0, count: TransactionEnvelope.uniqueIDLength)
        var rng = SystemRandomNumberGenerator()
        for i in unique.indices { unique[i] = rng.next() }
        var envelope = TransactionEnvelope(
            suite: suite.id, signer: actor.member, uniqueID: unique, expiry: Height(tip + 500), kind: P.kind.rawValue,
            payload: payload.canonicalBytes)
        try envelope.sign(with: actor.signer, chainID: chainID)
        var request = HTTPClientRequest(url: actor.api + "/v1/transactions?wait=commit")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(actor.token)")
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .bytes(ByteBuffer(bytes: envelope.canonicalBytes))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status.code == 200,
            let view = try? JSONDecoder().decode(TransactionView.self, from: Data(buffer: body)),
            let result = view.result, let height = view.height
        else {
            throw NodeError(
                code: "walkthrough.submit_failed",
                reason: "\(P.kind) by \(actor.member): HTTP \(response.status.code) \(String(buffer: body).prefix(300))"
            )
        }
        if expectOK && result.code != "ok" {
            throw NodeError(code: "walkthrough.refused", reason: "\(P.kind) by \(actor.member): \(result.code)")
        }
        return Outcome(code: result.code, detail: result.detail, height: height)
    }

    /// Waits until the actor's node has committed `height`.
    func waitForHeight(_ actor: Actor, _ height: UInt64) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while (await StatusClient().status(actor.api)?.height ?? 0) < height {
            guard ContinuousClock.now < deadline else {
                throw NodeError(
                    code: "walkthrough.node_behind", reason: "\(actor.member)'s node did not reach \(height)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Reads `path` from the actor's node once that node has committed `height` (each node
    /// commits on its own; a read from another node than the submitter's must wait for it).
    func get<T: Decodable>(_ actor: Actor, _ path: String, after height: UInt64 = 0) async throws -> T {
        try await waitForHeight(actor, height)
        var request = HTTPClientRequest(url: actor.api + path)
        request.headers.add(name: "Authorization", value: "Bearer \(actor.token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 << 20)
        guard response.status.code == 200 else {
            throw NodeError(
                code: "walkthrough.read_failed",
                reason: "GET \(path): HTTP \(response.status.code) \(String(buffer: body))")
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(T.self, from: Data(buffer: body))
    }

    struct OrderDoc: Decodable {
        struct Item: Decodable {
            var type: String
            var recordId: String
            var commitment: String
            var publisher: String
            var state: String
            var recordID: String { recordId }
        }
        var id: UInt64
        var status: String
        var reservedPoints: Int64
        var items: [Item]
    }

    struct PointsDoc: Decodable { var points: Int64 }

    struct AuditDoc: Decodable {
        struct Entry: Decodable {
            var sequence: UInt64
            var actor: String
            var action: String
            var height: UInt64
            var purpose: String?
        }
        var total: UInt64
        var entries: [Entry]
    }
}
