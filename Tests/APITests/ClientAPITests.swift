import API
import ChainCore
import Foundation
import Hummingbird
import HummingbirdTesting
import Ledger
import Testing

/// Collects audit entries so tests can read what was recorded.
final class RecordingAuditSink: AuditSink, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [AuditEntry] = []
    var entries: [AuditEntry] { lock.withLock { stored } }
    func record(_ entry: AuditEntry) { lock.withLock { stored.append(entry) } }
}

/// A client API over a `TestNode`, a token store in a fresh directory and one valid token.
struct Harness {
    let node: TestNode
    let audit = RecordingAuditSink()
    let tokens: TokenStore
    let token: String
    let api: ClientAPI

    init(node: TestNode = TestNode(), configuration: APIConfiguration = .init()) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString)").path
        self.node = node
        tokens = TokenStore(directory: directory)
        var generator = SystemRandomNumberGenerator()
        token = try tokens.create(staff: "Alice Wang", scopes: [.bank], createdAt: Date(), using: &generator).token
        api = ClientAPI(node: node, tokens: tokens, audit: audit, configuration: configuration)
    }

    var authorization: HTTPFields { [.authorization: "Bearer \(token)"] }

    func test(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: api.buildRouter()).test(.router) { client in try await body(client) }
    }
}

func problem(_ response: TestResponse) throws -> Problem {
    try JSONDecoder().decode(Problem.self, from: Data(response.body.readableBytesView))
}

func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(response.body.readableBytesView))
}

@Suite struct PublicRouteTests {
    @Test func healthReportsReadyAndLive() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let ok = try await client.execute(uri: "/healthz", method: .get)
            #expect(ok.status == .ok)
            #expect(try decode(NodeHealth.self, ok) == NodeHealth(live: true, ready: true))
            await harness.node.setReady(false)
            let notReady = try await client.execute(uri: "/healthz", method: .get)
            #expect(notReady.status == .serviceUnavailable)
            #expect(try decode(NodeHealth.self, notReady).reasons == ["catching up"])
            let live = try await client.execute(uri: "/healthz?probe=live", method: .get)
            #expect(live.status == .ok)
        }
    }

    @Test func publicRoutesNeedNoToken() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let status = try await client.execute(uri: "/v1/status", method: .get)
            #expect(status.status == .ok)
            let decoded = try decode(NodeStatus.self, status)
            #expect(decoded.height == 42 && decoded.round == 7 && decoded.peers.count == 1)
            #expect(String(buffer: status.body).contains("\"chain_id\""))

            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            #expect(String(buffer: metrics.body).contains("creditchain_height 42"))

            let document = try await client.execute(uri: "/openapi.yaml", method: .get)
            #expect(document.status == .ok)
            #expect(String(buffer: document.body).hasPrefix("openapi: 3.1"))
        }
        #expect(harness.audit.entries.isEmpty)
    }

    @Test func unknownRouteIsProblem404() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let response = try await client.execute(uri: "/v2/nothing", method: .get)
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/problem+json")
            let body = try problem(response)
            #expect(body.code == "not_found")
            #expect(body.type == "urn:creditchain:error:not_found")
            #expect(body.status == 404)
            #expect(body.instance == "/v2/nothing")
            #expect(!body.title.isEmpty && !body.detail.isEmpty)
        }
    }
}

@Suite struct AuthenticationTests {
    @Test func missingTokenIs401WithChallenge() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let response = try await client.execute(uri: "/v1/blocks/1", method: .get)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(try problem(response).code == "auth.missing_token")
        }
    }

    @Test(arguments: [
        "Bearer cct_" + String(repeating: "0", count: 64),  // well formed, unknown
        "Bearer not-a-token",
        "Basic dXNlcjpwYXNz",
        "Bearer",
    ])
    func badTokenIs401(header: String) async throws {
        let harness = try Harness()
        try await harness.test { client in
            let response = try await client.execute(
                uri: "/v1/blocks/1", method: .get, headers: [.authorization: header])
            #expect(response.status == .unauthorized)
            #expect(try problem(response).code == "auth.bad_token")
        }
        #expect(harness.audit.entries.isEmpty)
    }

    @Test func revokedTokenStopsWorking() async throws {
        let harness = try Harness()
        let id = try #require(try harness.tokens.list().first?.id)
        try harness.tokens.revoke(id: id, revokedAt: Date())
        try await harness.test { client in
            let response = try await client.execute(uri: "/v1/blocks/1", method: .get, headers: harness.authorization)
            #expect(try problem(response).code == "auth.bad_token")
        }
    }

    @Test func validTokenIsAuditedWithStaffAndPurpose() async throws {
        let harness = try Harness()
        try await harness.test { client in
            var headers = harness.authorization
            headers[.init(BearerTokenMiddleware.purposeHeader)!] = "loan_application \"x\""
            let response = try await client.execute(
                uri: "/v1/transactions/\(String(repeating: "ab", count: 32))?secret=1", method: .get, headers: headers)
            #expect(response.status == .notFound)
            #expect(try problem(response).code == "tx.not_found")
        }
        let entry = try #require(harness.audit.entries.first)
        #expect(harness.audit.entries.count == 1)
        #expect(entry.staff == "Alice Wang")
        #expect(entry.method == "GET")
        #expect(entry.path == "/v1/transactions/\(String(repeating: "ab", count: 32))")
        #expect(entry.purpose == "loan_application ?x?")
        #expect(entry.status == 404)
        #expect(!entry.line.contains("secret"))
        #expect(entry.line.contains("staff=\"Alice Wang\""))
    }

    @Test func scopeMiddlewareRefusesOtherRoles() async throws {
        struct SupervisorRoutes: APIRouteProvider {
            func addRoutes(public router: Router<APIRequestContext>, authenticated: RouterGroup<APIRequestContext>) {
                authenticated.group("/v1/supervision").add(middleware: RequireScopeMiddleware(anyOf: [.supervisor]))
                    .get("/alerts") { _, _ in "[]" }
            }
        }
        let harness = Harness(copy: try Harness(), providers: [SupervisorRoutes()])
        try await harness.test { client in
            let response = try await client.execute(
                uri: "/v1/supervision/alerts", method: .get, headers: harness.authorization)
            #expect(response.status == .forbidden)
            #expect(try problem(response).code == "auth.insufficient_scope")
        }
    }
}

extension Harness {
    init(copy: Harness, providers: [any APIRouteProvider]) {
        self.node = copy.node
        self.tokens = copy.tokens
        self.token = copy.token
        self.api = ClientAPI(
            node: copy.node, tokens: copy.tokens, audit: self.audit, configuration: copy.api.configuration,
            providers: providers)
    }
}

@Suite struct TransactionRouteTests {
    static let octetStream: HTTPFields = [.contentType: "application/octet-stream"]

    func headers(_ harness: Harness, contentType: String) -> HTTPFields {
        var headers = harness.authorization
        headers[.contentType] = contentType
        return headers
    }

    @Test func binaryAndJSONFormsDecodeIdentically() async throws {
        let harness = try Harness()
        let envelope = try sampleEnvelope()
        let json = try JSONEncoder().encode(TransactionForm(envelope))
        try await harness.test { client in
            let binary = try await client.execute(
                uri: "/v1/transactions", method: .post,
                headers: headers(harness, contentType: "application/octet-stream"),
                body: ByteBuffer(bytes: envelope.canonicalBytes))
            let form = try await client.execute(
                uri: "/v1/transactions", method: .post,
                headers: headers(harness, contentType: "application/json; charset=utf-8"), body: ByteBuffer(bytes: json)
            )
            #expect(binary.status == .accepted)
            #expect(form.status == .accepted)
            let a = try decode(TransactionView.self, binary)
            let b = try decode(TransactionView.self, form)
            #expect(a.hash == b.hash)
            #expect(a.status == .pending)
        }
        let submitted = await harness.node.submitted
        #expect(submitted.count == 2)
        #expect(submitted[0].envelope == envelope && submitted[1].envelope == envelope)
        #expect(submitted[0].bytes == envelope.canonicalBytes && submitted[1].bytes == envelope.canonicalBytes)
    }

    @Test func malformedBodiesAre400() async throws {
        let harness = try Harness()
        let truncated = try sampleEnvelope().canonicalBytes.dropLast()
        var form = TransactionForm(try sampleEnvelope())
        form.uniqueID = "abcd"
        let badUniqueID = form
        try await harness.test { client in
            let binary = try await client.execute(
                uri: "/v1/transactions", method: .post,
                headers: headers(harness, contentType: "application/octet-stream"),
                body: ByteBuffer(bytes: truncated))
            #expect(binary.status == .badRequest)
            #expect(try problem(binary).code == "tx.malformed")

            let form = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: headers(harness, contentType: "application/json"),
                body: ByteBuffer(bytes: try JSONEncoder().encode(badUniqueID)))
            #expect(try problem(form).code == "tx.malformed")
            #expect(try problem(form).detail.contains("unique_id"))

            let notJSON = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: headers(harness, contentType: "application/json"),
                body: ByteBuffer(string: "{\"suite\":"))
            #expect(try problem(notJSON).code == "request.bad_json")

            let text = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: headers(harness, contentType: "text/plain"),
                body: ByteBuffer(string: "x"))
            #expect(text.status == .unsupportedMediaType)
            #expect(try problem(text).code == "request.unsupported_media_type")
        }
        #expect(await harness.node.submitted.isEmpty)
    }

    @Test func oversizeBodyIs413BeforeTheNodeSeesIt() async throws {
        let harness = try Harness(configuration: APIConfiguration(requestBodyMax: 1024))
        try await harness.test { client in
            let response = try await client.execute(
                uri: "/v1/transactions", method: .post,
                headers: headers(harness, contentType: "application/octet-stream"),
                body: ByteBuffer(bytes: [UInt8](repeating: 1, count: 1025)))
            #expect(response.status == .contentTooLarge)
            #expect(try problem(response).code == "request.too_large")
            #expect(try problem(response).detail.contains("1024"))
        }
        #expect(await harness.node.submitted.isEmpty)
    }

    @Test func busyMempoolIs429WithRetryAfter() async throws {
        let harness = try Harness()
        await harness.node.refuse(with: .busy(retryAfterSeconds: 3))
        try await harness.test { client in
            let response = try await client.execute(
                uri: "/v1/transactions", method: .post,
                headers: headers(harness, contentType: "application/octet-stream"),
                body: ByteBuffer(bytes: try sampleEnvelope().canonicalBytes))
            #expect(response.status == .tooManyRequests)
            #expect(response.headers[.retryAfter] == "3")
            #expect(try problem(response).code == "mempool.busy")
        }
    }

    @Test(arguments: [
        (SubmissionRejection.badSignature(), 422),
        (.expired("expired at 100"), 422),
        (.duplicate("seen"), 409),
        (.unknownSigner("no such member"), 422),
        (.notReady("catching up"), 503),
        (SubmissionRejection(code: "consent.expired", detail: "the consent ended"), 422),
    ])
    func rejectionsKeepTheirCodes(rejection: SubmissionRejection, status: Int) async throws {
        let harness = try Harness()
        await harness.node.refuse(with: rejection)
        try await harness.test { client in
            let response = try await client.execute(
                uri: "/v1/transactions", method: .post,
                headers: headers(harness, contentType: "application/octet-stream"),
                body: ByteBuffer(bytes: try sampleEnvelope().canonicalBytes))
            #expect(Int(response.status.code) == status)
            let body = try problem(response)
            #expect(body.code == rejection.code)
            #expect(body.detail == rejection.detail)
            #expect(body.type == "urn:creditchain:error:\(rejection.code)")
        }
    }

    @Test func waitForCommitReturnsHeightAndResult() async throws {
        let harness = try Harness(
            configuration: APIConfiguration(commitWaitDefault: .seconds(2), commitWaitMax: .seconds(5)))
        await harness.node.setCommitOnSubmit(true)
        try await harness.test { client in
            let response = try await client.execute(
                uri: "/v1/transactions?wait=commit&timeout_ms=60000", method: .post,
                headers: headers(harness, contentType: "application/octet-stream"),
                body: ByteBuffer(bytes: try sampleEnvelope().canonicalBytes))
            #expect(response.status == .ok)
            let view = try decode(TransactionView.self, response)
            #expect(view.status == .committed && view.height == 43 && view.result == ResultView(code: "ok"))
        }
        // The client asked for 60 s; the wait is clamped to the configured maximum.
        #expect(await harness.node.lastWaitTimeout == .seconds(5))
    }

    @Test func waitThatTimesOutIsAcceptedPending() async throws {
        let harness = try Harness(
            configuration: APIConfiguration(commitWaitDefault: .seconds(2), commitWaitMax: .seconds(5)))
        try await harness.test { client in
            let response = try await client.execute(
                uri: "/v1/transactions?wait=commit", method: .post,
                headers: headers(harness, contentType: "application/octet-stream"),
                body: ByteBuffer(bytes: try sampleEnvelope().canonicalBytes))
            #expect(response.status == .accepted)
            #expect(try decode(TransactionView.self, response).status == .pending)
            let bad = try await client.execute(
                uri: "/v1/transactions?wait=forever", method: .post,
                headers: headers(harness, contentType: "application/octet-stream"),
                body: ByteBuffer(bytes: try sampleEnvelope(uniqueByte: 9).canonicalBytes))
            #expect(try problem(bad).code == "request.bad_parameter")
        }
        #expect(await harness.node.lastWaitTimeout == .seconds(2))
        #expect(await harness.node.submitted.count == 1)
    }

    @Test func lookupShowsPendingThenUnknownAndBadHash() async throws {
        let harness = try Harness()
        try await harness.test { client in
            let submitted = try await client.execute(
                uri: "/v1/transactions", method: .post,
                headers: headers(harness, contentType: "application/octet-stream"),
                body: ByteBuffer(bytes: try sampleEnvelope().canonicalBytes))
            let hash = try decode(TransactionView.self, submitted).hash
            let found = try await client.execute(
                uri: "/v1/transactions/\(hash)", method: .get, headers: harness.authorization)
            #expect(found.status == .ok)
            #expect(try decode(TransactionView.self, found).status == .pending)
            let bad = try await client.execute(
                uri: "/v1/transactions/xyz", method: .get, headers: harness.authorization)
            #expect(bad.status == .badRequest)
            #expect(try problem(bad).code == "request.bad_parameter")
        }
    }
}

@Suite struct BlockRouteTests {
    static let block = BlockView(
        height: 1, hash: String(repeating: "11", count: 32),
        header: BlockHeaderView(
            chainID: String(repeating: "ab", count: 32), height: 1, round: 0,
            parentHash: String(repeating: "00", count: 32),
            proposer: "val-1", timestampMillis: 1_700_000_000_000, transactionRoot: String(repeating: "22", count: 32),
            stateRoot: String(repeating: "33", count: 32), canonical: "01"),
        commitCertificate: CommitCertificateView(
            height: 1, round: 0, blockHash: String(repeating: "11", count: 32),
            signatures: [CommitSignatureView(validator: "val-1", signature: "aa")], canonical: "02"),
        transactions: [])

    @Test func blockByHeightAndMissingBlock() async throws {
        let harness = try Harness(node: TestNode(blocks: [1: Self.block]))
        try await harness.test { client in
            let found = try await client.execute(uri: "/v1/blocks/1", method: .get, headers: harness.authorization)
            #expect(found.status == .ok)
            #expect(try decode(BlockView.self, found) == Self.block)
            #expect(String(buffer: found.body).contains("\"commit_certificate\""))
            let missing = try await client.execute(uri: "/v1/blocks/2", method: .get, headers: harness.authorization)
            #expect(missing.status == .notFound)
            #expect(try problem(missing).code == "block.not_found")
            let bad = try await client.execute(uri: "/v1/blocks/-1", method: .get, headers: harness.authorization)
            #expect(try problem(bad).code == "request.bad_parameter")
        }
    }
}

@Suite struct LiveServerTests {
    /// The same routes over a real socket and Hummingbird's HTTP/1 server, as the CLI sees them.
    @Test func submitAndOversizeOverRealHTTP() async throws {
        let harness = try Harness(configuration: APIConfiguration(requestBodyMax: 4096))
        let envelope = try sampleEnvelope()
        try await Application(router: harness.api.buildRouter()).test(.live) { client in
            var headers = harness.authorization
            headers[.contentType] = "application/octet-stream"
            let accepted = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: headers,
                body: ByteBuffer(bytes: envelope.canonicalBytes))
            #expect(accepted.status == .accepted)
            let tooLarge = try await client.execute(
                uri: "/v1/transactions", method: .post, headers: headers,
                body: ByteBuffer(bytes: [UInt8](repeating: 0, count: 5000)))
            #expect(tooLarge.status == .contentTooLarge)
            #expect(try problem(tooLarge).code == "request.too_large")
            let missing = try await client.execute(uri: "/nowhere", method: .get)
            #expect(try problem(missing).code == "not_found")
        }
        #expect(await harness.node.submitted.count == 1)
    }
}
