import API
import Foundation
import Hummingbird
import Testing

@Suite struct OpenAPIDocumentTests {
    /// `path → methods` from the document's `paths:` section (two-space path keys, four-space
    /// method keys), enough to check coverage without a YAML library.
    func documentedRoutes(_ text: String) -> [String: Set<String>] {
        var routes: [String: Set<String>] = [:]
        var inPaths = false
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty {
                inPaths = line == "paths:"
                current = nil
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                let path = String(line.dropFirst(2).dropLast())
                current = path
                routes[path, default: []] = []
            } else if let current, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                routes[current, default: []].insert(String(line.dropFirst(4).dropLast()).uppercased())
            }
        }
        return routes
    }

    @Test func everyRouteIsDocumented() throws {
        let document = try #require(OpenAPIDocument.load())
        let text = String(decoding: document, as: UTF8.self)
        #expect(text.hasPrefix("openapi: 3.1"))
        let documented = documentedRoutes(text)
        let router = try Harness().api.buildRouter()
        #expect(router.routes.count >= 7)
        for route in router.routes {
            let methods = documented["\(route.path)"] ?? []
            #expect(methods.contains(route.method.rawValue), "\(route.method) \(route.path) is not in openapi.yaml")
        }
        // And nothing is documented that the router does not serve.
        let served = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
        for (path, methods) in documented {
            for method in methods where method != "PARAMETERS" {
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
