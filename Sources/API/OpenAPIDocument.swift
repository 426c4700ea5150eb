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
