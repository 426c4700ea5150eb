import ChainCore
import Foundation

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TempDir {
    let path: String

    init(_ label: String = "storage") {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

/// Deterministic payload for a height, so a reader can check content without keeping a copy.
func payload(for height: UInt64, size: Int = 100) -> [UInt8] {
    (0..<size).map { UInt8(truncatingIfNeeded: UInt64($0) &* 31 &+ height &* 7) }
}

func readFile(_ path: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: path)!) }

func writeFile(_ path: String, _ bytes: [UInt8]) { try! Data(bytes).write(to: URL(fileURLWithPath: path)) }

func fileSize(_ path: String) -> Int { readFile(path).count }
