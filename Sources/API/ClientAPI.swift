import Hummingbird
import Logging

/// The client API of one node: the router with its public routes (`/healthz`, `/metrics`,
/// `/openapi.yaml`, `/v1/status`), the bearer-token routes (`/v1/transactions`, `/v1/blocks`) and
/// whatever `APIRouteProvider`s later modules add. Build it, then run `makeApplication` as a
/// service of the node.
public struct ClientAPI: Sendable {
    public var node: any NodeAccess
    public var tokens: TokenStore
    public var audit: any AuditSink
    public var configuration: APIConfiguration
    public var providers: [any APIRouteProvider]

    public init(
        node: any NodeAccess, tokens: TokenStore, audit: any AuditSink = LoggingAuditSink(),
        configuration: APIConfiguration = .init(), providers: [any APIRouteProvider] = []
    ) {
        self.node = node
        self.tokens = tokens
        self.audit = audit
        self.configuration = configuration
        self.providers = providers
    }

    /// The router. Order matters: request metrics (swift-metrics, by route template, method and
    /// status; the node bootstraps the Prometheus backend) see the final status, the problem
    /// mapper wraps everything (unknown routes included), the body limit applies before any
    /// handler reads, authentication wraps only the private routes.
    public func buildRouter() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        router.add(middleware: MetricsMiddleware<APIRequestContext>())
        router.add(middleware: ProblemMiddleware<APIRequestContext>(requestBodyMax: configuration.requestBodyMax))
        router.add(middleware: RequestBodyLimitMiddleware(requestBodyMax: configuration.requestBodyMax))
        PublicRoutes(node: node, openAPI: OpenAPIDocument.load()).add(to: router)
        let authenticated = router.group().add(middleware: BearerTokenMiddleware(tokens: tokens, audit: audit))
        TransactionRoutes(node: node, configuration: configuration).add(to: authenticated)
        BlockRoutes(node: node).add(to: authenticated)
        for provider in providers {
            provider.addRoutes(public: router, authenticated: authenticated)
        }
        return router
    }

    /// A Hummingbird application serving the API on `address` (run it in the node's service group).
    public func makeApplication(
        address: BindAddress, logger: Logger = Logger(label: "creditchain.api")
    ) -> some ApplicationProtocol {
        Application(
            router: buildRouter(), configuration: .init(address: address, serverName: "creditchain"), logger: logger)
    }
}

/// Routes a later module adds to the client API (per role: bank, source, supervisor…). Routes
/// added to `authenticated` need a bearer token and are audited; add `RequireScopeMiddleware` to
/// a group for role routes. Every route must also be described in `openapi.yaml` (a test checks).
public protocol APIRouteProvider: Sendable {
    func addRoutes(public router: Router<APIRequestContext>, authenticated: RouterGroup<APIRequestContext>)
}

/// Sets the context's body limit and refuses a declared `Content-Length` above it before a byte
/// of the body is read; bodies without a length are bounded while collected (`collectBody`).
struct RequestBodyLimitMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let requestBodyMax: Int

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let declared = request.headers[.contentLength] {
            guard let length = Int(declared), length >= 0 else {
                throw APIError.badParameter("Content-Length", "not a length")
            }
            guard length <= requestBodyMax else { throw APIError.tooLarge(limit: requestBodyMax) }
        }
        var context = context
        context.requestBodyMax = requestBodyMax
        return try await next(request, context)
    }
}
