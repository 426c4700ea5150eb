import Hummingbird

/// The routes anyone may call (architecture.md, "API access"): health, metrics, the OpenAPI
/// document and the node status. They reveal nothing about credit data.
struct PublicRoutes: Sendable {
    let node: any NodeAccess
    /// The document's bytes, loaded once; nil when the resource is missing from the install.
    let openAPI: [UInt8]?

    func add(to router: Router<APIRequestContext>) {
        router.get("/healthz") { request, _ in try await health(request) }
        router.get("/metrics") { _, _ in await metrics() }
        router.get("/openapi.yaml") { _, _ in try openAPIDocument() }
        router.get("/v1/status") { _, _ in try JSONResponse.make(try await node.status()) }
    }

    /// 200 when ready (or, with `?probe=live`, when live), else 503 with the same body: probes
    /// read the status, people read the reasons.
    func health(_ request: Request) async throws -> Response {
        let health = await node.health()
        let probe = request.uri.queryParameters.get("probe") ?? "ready"
        let healthy: Bool
        switch probe {
        case "ready": healthy = health.live && health.ready
        case "live": healthy = health.live
        default: throw APIError.badParameter("probe", "expected live or ready")
        }
        return try JSONResponse.make(health, status: healthy ? .ok : .serviceUnavailable)
    }

    func metrics() async -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: await node.metricsText())))
    }

    func openAPIDocument() throws -> Response {
        guard let openAPI else { throw APIError.unavailable("the OpenAPI document is not installed with this binary") }
        return Response(
            status: .ok, headers: [.contentType: "application/yaml"],
            body: .init(byteBuffer: ByteBuffer(bytes: openAPI)))
    }
}
