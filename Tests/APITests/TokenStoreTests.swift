import API
import Foundation
import Testing

@Suite struct TokenStoreTests {
    func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString)").path
    }

    @Test func storesOnlyTheHashInAPrivateFile() throws {
        let dir = directory()
        let store = TokenStore(directory: dir)
        var generator = SystemRandomNumberGenerator()
        let issued = try store.create(
            staff: "Li Wei", scopes: [.bank, .operator], createdAt: Date(), using: &generator)
        #expect(issued.token.hasPrefix("cct_") && issued.token.count == 68)

        let text = try String(contentsOfFile: store.path, encoding: .utf8)
        #expect(!text.contains(issued.token))
        #expect(!text.contains(String(issued.token.dropFirst(4))))
        #expect(text.contains(issued.record.sha256))
        #expect(text.contains("Li Wei"))
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: store.path)[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600)

        let identity = try #require(store.authenticate(bearer: issued.token))
        #expect(identity.staff == "Li Wei")
        #expect(identity.scopes == [.bank, .operator])
        #expect(identity.tokenID == issued.record.id)
        #expect(identity.allows(.supervisor))  // operator covers every scope
    }

    @Test func anotherStoreOnTheSameDirectorySeesNewAndRevokedTokens() throws {
        let dir = directory()
        let node = TokenStore(directory: dir, refreshInterval: .zero)
        let cli = TokenStore(directory: dir)
        var generator = SystemRandomNumberGenerator()
        #expect(node.authenticate(bearer: "cct_" + String(repeating: "a", count: 64)) == nil)
        let issued = try cli.create(staff: "ops", scopes: [.source], createdAt: Date(), using: &generator)
        let identity = try #require(node.authenticate(bearer: issued.token))
        #expect(!identity.allows(.bank))
        try cli.revoke(id: issued.record.id, revokedAt: Date())
        #expect(node.authenticate(bearer: issued.token) == nil)
        #expect(try cli.list().first?.revoked != nil)
    }

    @Test func rejectsBadInput() throws {
        let store = TokenStore(directory: directory())
        var generator = SystemRandomNumberGenerator()
        #expect(throws: APIError.self) { try TokenScope.parseList("bank,astronaut") }
        #expect(throws: APIError.self) { try TokenScope.parseList(" , ") }
        #expect(try TokenScope.parseList("bank, source") == [.bank, .source])
        for staff in ["", "a\"b", "line\nbreak", String(repeating: "x", count: 65), " padded"] {
            #expect(throws: APIError.self) {
                try store.create(staff: staff, scopes: [.bank], createdAt: Date(), using: &generator)
            }
        }
        #expect(throws: APIError.self) { try store.revoke(id: "nope", revokedAt: Date()) }
    }

    @Test func corruptFileAcceptsNoToken() throws {
        let dir = directory()
        let store = TokenStore(directory: dir, refreshInterval: .zero)
        var generator = SystemRandomNumberGenerator()
        let issued = try store.create(staff: "ops", scopes: [.bank], createdAt: Date(), using: &generator)
        #expect(store.authenticate(bearer: issued.token) != nil)
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: store.path))
        #expect(store.authenticate(bearer: issued.token) == nil)
    }
}
