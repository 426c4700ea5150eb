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

@Suite struct RejectionMappingTests {
    @Test(arguments: [
        ("transaction.malformed", 400), ("mempool.replayed", 409), ("mempool.too_large", 413),
        ("transaction.bad_signature", 422), ("mempool.expired", 422), ("mempool.busy", 429),
        ("node.not_ready", 503), ("order.scope_not_covered", 422),
    ])
    func nodeCodesGetTheirStatus(code: String, status: Int) {
        let error = APIError(SubmissionRejection(code: code, detail: "d"))
        #expect(Int(error.status.code) == status)
        #expect(error.code == code)
    }

    @Test func busyAlwaysSaysWhenToRetry() {
        #expect(APIError(SubmissionRejection(code: "mempool.busy", detail: "full")).headers[.retryAfter] == "1")
        #expect(APIError(SubmissionRejection(code: "tx.expired", detail: "old")).headers[.retryAfter] == nil)
    }
}
