import ChainCore
import Hummingbird
import Ledger

/// `POST /v1/transactions` and `GET /v1/transactions/{hash}`.
struct TransactionRoutes: Sendable {
    let node: any NodeAccess
    let configuration: APIConfiguration

    func add(to group: RouterGroup<APIRequestContext>) {
        group.post("/v1/transactions") { request, context in try await submit(request, context: context) }
        group.get("/v1/transactions/{hash}") { _, context in try await lookup(context.parameters.get("hash") ?? "") }
    }

    /// Decodes the envelope (canonical bytes or JSON form), hands it to the node, and with
    /// `?wait=commit` waits (bounded) for its commit: 200 with height and result once committed,
    /// 202 with status `pending` when accepted but not (yet) committed.
    func submit(_ request: Request, context: APIRequestContext) async throws -> Response {
        let wait = try commitWait(request)
        var request = request
        let body = try await request.collectBody(upTo: context.requestBodyMax)
        let (envelope, canonical) = try TransactionForm.decodeBody(
            Array(buffer: body), contentType: request.headers[.contentType])
        let hash: Hash
        do { hash = try await node.submit(envelope, canonicalBytes: canonical) } catch { throw APIError(error) }
        if let wait, let committed = try await node.waitForCommit(hash, timeout: wait) {
            return try JSONResponse.make(committed)
        }
        return try JSONResponse.make(TransactionView(hash: hash.hex, status: .pending), status: .accepted)
    }

    /// nil without `wait`; the bounded wait for `wait=commit` (`timeout_ms`, clamped to the maximum).
    func commitWait(_ request: Request) throws -> Duration? {
        let query = request.uri.queryParameters
        guard let wait = query["wait"] else { return nil }
        guard wait == "commit" else { throw APIError.badParameter("wait", "the only value is commit") }
        guard let raw = query["timeout_ms"] else { return configuration.commitWaitDefault }
        guard let millis = Int64(raw), millis >= 0 else {
            throw APIError.badParameter("timeout_ms", "expected a non-negative integer")
        }
        return min(.milliseconds(millis), configuration.commitWaitMax)
    }

    func lookup(_ hex: String) async throws -> Response {
        guard let hash = try? Hash(hex: hex) else {
            throw APIError.badParameter("hash", "expected 64 hexadecimal characters")
        }
        let view = try await node.transaction(hash)
        guard view.status != .unknown else { throw APIError.transactionNotFound(hash.hex) }
        return try JSONResponse.make(view)
    }
}

/// `GET /v1/blocks/{height}`.
struct BlockRoutes: Sendable {
    let node: any NodeAccess

    func add(to group: RouterGroup<APIRequestContext>) {
        group.get("/v1/blocks/{height}") { _, context in try await block(context.parameters.get("height") ?? "") }
    }

    func block(_ raw: String) async throws -> Response {
        guard let height = UInt64(raw) else { throw APIError.badParameter("height", "expected a decimal height") }
        guard let block = try await node.block(at: Height(height)) else { throw APIError.blockNotFound(height) }
        return try JSONResponse.make(block)
    }
}
