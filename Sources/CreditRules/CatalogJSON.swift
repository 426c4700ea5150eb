import Foundation

/// The catalog file (`catalog.json`): categories, sources and data types. Decoding is pure
/// computation; the caller reads the file.
public struct CatalogFile: Sendable, Decodable {
    /// A catalog source (a department, court or utility).
    public struct Source: Sendable, Decodable, Hashable {
        public var code: String
        public var nameEn: String
        public var kind: String
    }

    public var version: Int
    public var sources: [Source]
    public var dataTypes: [DataType]

    /// Decodes catalog.json bytes (snake_case keys).
    public static func decode(_ data: [UInt8]) throws -> CatalogFile {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(CatalogFile.self, from: Data(data))
    }
}

extension CreditGenesis {
    /// Decodes the application section of genesis from JSON (snake_case keys).
    public static func decodeJSON(_ data: [UInt8]) throws -> CreditGenesis {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(CreditGenesis.self, from: Data(data))
    }

    /// Encodes the application section as JSON (snake_case keys, sorted).
    public func encodeJSON() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return Array(try encoder.encode(self))
    }
}
