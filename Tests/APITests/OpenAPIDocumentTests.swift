import API
import Foundation
import Hummingbird
import Testing

@Suite struct OpenAPIDocumentTests {
    @Test func everyRouteIsDocumented() throws {
        let document = try #require(OpenAPIDocument.load())
        let text = String(decoding: document, as: UTF8.self)
        #expect(text.hasPrefix("openapi: 3.1"))
        let documented = OpenAPIDocument.documentedRoutes(text)
        let router = try Harness().api.buildRouter()
        #expect(router.routes.count >= 7)
        for route in router.routes {
            let methods = documented["\(route.path)"] ?? []
            #expect(methods.contains(route.method.rawValue), "\(route.method) \(route.path) is not in openapi.yaml")
        }
        // And nothing is documented that the router does not serve (the credit routes are the
        // Node module's provider; NodeTests checks those).
        let served = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
        for (path, methods) in documented where !path.hasPrefix(OpenAPIDocument.providedPathPrefix) {
            for method in methods {
                #expect(served.contains("\(method) \(path)"), "\(method) \(path) is documented but not routed")
            }
        }
    }

    @Test func problemSchemaNamesTheRequiredMembers() throws {
        let text = String(decoding: try #require(OpenAPIDocument.load()), as: UTF8.self)
        #expect(text.contains("required: [type, title, status, detail, code]"))
        #expect(text.contains("application/problem+json"))
    }
}
