import Hummingbird
import Logging

/// Turns every error a route throws into `application/problem+json`, once: `APIError` as it is,
/// Hummingbird's own errors (unknown route, body too large) into their stable codes, and anything
/// else into a logged `internal` error whose detail reveals nothing.
public struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The body limit named in `request.too_large` problems.
    let requestBodyMax: Int

    public init(requestBodyMax: Int = APIConfiguration.defaultRequestBodyMax) {
        self.requestBodyMax = requestBodyMax
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = Self.apiError(for: error, path: request.uri.path, limit: requestBodyMax)
            if apiError.code == APIError.internalError().code {
                context.logger.error(
                    "request failed",
                    metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
            }
            return try apiError.response(from: request, context: context)
        }
    }

    /// The single mapping from thrown errors to API errors.
    static func apiError(for error: any Error, path: String, limit: Int) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as SubmissionRejection:
            return APIError(error)
        case let error as any HTTPResponseError where error.status == .notFound:
            // The router's answer to an unknown path or method.
            return .notFound("no route \(path)")
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            // Hummingbird's body collection (NIOTooManyBytesError) past the context's upload limit.
            return .tooLarge(limit: limit)
        case let error as any HTTPResponseError where error.status.code < 500:
            let detail = (error as? HTTPError)?.body ?? error.status.reasonPhrase
            return APIError(
                code: "request.invalid", status: error.status, title: error.status.reasonPhrase, detail: detail)
        default:
            return .internalError()
        }
    }
}
