import Foundation

/// Finds `openapi.yaml`, the resource of this module, without `Bundle.module` (which stops the
/// process when the bundle is missing): next to the executable (`swift build` installs), in the
/// main bundle (tests), or in the source tree this file was compiled from (development).
public enum OpenAPIDocument {
    static let resourceName = "openapi.yaml"

    /// The document's bytes, or nil when no copy is found.
    public static func load() -> [UInt8]? {
        for path in candidatePaths() {
            if let data = FileManager.default.contents(atPath: path) { return Array(data) }
        }
        return nil
    }

    /// `path → methods` of the document's `paths:` section (two-space path keys, four-space
    /// method keys): enough for the tests that check every served route is documented and every
    /// documented route served, without a YAML library.
    public static func documentedRoutes(_ text: String) -> [String: Set<String>] {
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
                let method = String(line.dropFirst(4).dropLast()).uppercased()
                if method != "PARAMETERS" { routes[current, default: []].insert(method) }
            }
        }
        return routes
    }

    /// Paths served by route providers of other modules (the Node module's `CreditRoutes`),
    /// checked by that module's tests.
    public static let providedPathPrefix = "/v1/credit/"

    static func candidatePaths() -> [String] {
        var directories: [URL] = [Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL { directories.append(executable.deletingLastPathComponent()) }
        var paths: [String] = []
        for directory in directories {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for entry in entries.sorted() where entry.hasSuffix("_API.resources") || entry.hasSuffix("_API.bundle") {
                paths.append(directory.appendingPathComponent(entry).appendingPathComponent(resourceName).path)
            }
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        paths.append(source.appendingPathComponent("Resources").appendingPathComponent(resourceName).path)
        return paths
    }
}
