import Hummingbird
import Testing

@testable import API

@Suite struct ProblemMiddlewareTests {
    struct Unexpected: Error {}

    @Test func mapsEachKindOfErrorOnce() {
        let map = { (error: any Error) in
            ProblemMiddleware<APIRequestContext>.apiError(for: error, path: "/x", limit: 77)
        }
        // Hummingbird's own body-collection overflow and router miss.
        #expect(map(HTTPError(.contentTooLarge)).code == "request.too_large")
        #expect(map(HTTPError(.contentTooLarge)).detail.contains("77"))
        #expect(map(HTTPError(.notFound)).code == "not_found")
        #expect(map(HTTPError(.badRequest, message: "bad")).status == .badRequest)
        // Node refusals keep their code; anything unexpected is an opaque 500.
        #expect(map(SubmissionRejection.busy(retryAfterSeconds: 2)).headers[.retryAfter] == "2")
        #expect(map(Unexpected()).code == "internal")
        #expect(map(Unexpected()).status == .internalServerError)
        #expect(map(APIError.missingToken()) == APIError.missingToken())
    }

    @Test func problemDocumentCarriesTheStableCode() {
        let problem = APIError(SubmissionRejection.badSignature()).problem(instance: "/v1/transactions")
        #expect(problem.type == "urn:creditchain:error:tx.bad_signature")
        #expect(problem.code == "tx.bad_signature")
        #expect(problem.status == 422)
        #expect(problem.instance == "/v1/transactions")
    }
}
