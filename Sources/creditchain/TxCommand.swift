import API
import ArgumentParser
import AsyncHTTPClient
import Foundation

/// `creditchain tx submit|get`: a thin client of a node's `/v1/transactions` routes.
struct TxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tx",
        abstract: "Submit and look up signed transactions through a node's client API.",
        subcommands: [Submit.self, Get.self]
    )

    struct Submit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit a signed envelope (canonical bytes, or its JSON form) from FILE or - (stdin).")

        @OptionGroup var connection: APIConnection

        @Flag(
            help:
                "Wait (bounded by the node) until the transaction is committed; exit 2 if it is not committed in time, 1 if the rules refused it."
        )
        var wait = false

        @Flag(help: "Print the node's JSON answer as it is.")
        var json = false

        @Argument(help: "The envelope file, or - for standard input.")
        var file: String

        func run() async throws {
            let body = try readInput(file, limit: APIConfiguration.defaultRequestBodyMax)
            // A canonical envelope starts with its version byte (1); the JSON form with '{'.
            let isJSON = body.first(where: { ![0x20, 0x09, 0x0a, 0x0d].contains($0) }) == UInt8(ascii: "{")
            let reply = try await connection.client().send(
                .POST, wait ? "/v1/transactions?wait=commit" : "/v1/transactions", body: body,
                contentType: isJSON ? "application/json" : "application/octet-stream")
            try reply.printTransaction(json: json)
            guard wait, let view = try? JSONDecoder().decode(TransactionView.self, from: Data(reply.body)) else {
                return
            }
            // Scripts can tell "not committed in time" (2) and "committed but refused by the rules" (1).
            if view.status != .committed {
                FileHandle.standardError.write(Data("not committed within the node's wait; check with tx get\n".utf8))
                throw ExitCode(2)
            }
            if let result = view.result, result.code != "ok" { throw ExitCode.failure }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a transaction's status, height, result and inclusion proof.")

        @OptionGroup var connection: APIConnection

        @Flag(help: "Print the node's JSON answer as it is.")
        var json = false

        @Argument(help: "The transaction hash (64 hex characters).")
        var hash: String

        func run() async throws {
            guard hash.utf8.count == 64, hash.utf8.allSatisfy({ $0 < 0x80 && Character(Unicode.Scalar($0)).isHexDigit })
            else { throw ValidationError("a transaction hash is 64 hexadecimal characters") }
            let reply = try await connection.client().send(.GET, "/v1/transactions/\(hash.lowercased())")
            try reply.printTransaction(json: json)
        }
    }
}

/// `--api URL` and `--token T` (or `CREDITCHAIN_TOKEN`, which keeps the token out of the
/// process list and shell history).
struct APIConnection: ParsableArguments {
    @Option(help: "The node's API base URL, e.g. http://127.0.0.1:8080.")
    var api: String

    @Option(help: "Bearer token from `creditchain token create` (default: $CREDITCHAIN_TOKEN).")
    var token: String?

    @Option(help: "Why this request is made; recorded in the node's audit trail.")
    var purpose: String?

    func client() -> APIClient {
        APIClient(
            base: api, token: token ?? ProcessInfo.processInfo.environment["CREDITCHAIN_TOKEN"], purpose: purpose)
    }
}

/// The few lines of HTTP the CLI clients need, over AsyncHTTPClient.
struct APIClient {
    /// Largest answer read (a block with its certificate is far below this).
    static let responseMax = 16 * 1024 * 1024

    let base: String
    let token: String?
    var purpose: String? = nil

    struct Reply {
        var status: Int
        var body: [UInt8]

        /// The problem document of a failed request, printed as `code: detail`, then exit 1.
        func requireSuccess() throws {
            guard status >= 300 else { return }
            if let problem = try? JSONDecoder().decode(Problem.self, from: Data(body)) {
                FileHandle.standardError.write(
                    Data("error: \(problem.code): \(problem.detail) (HTTP \(status))\n".utf8))
            } else {
                FileHandle.standardError.write(Data("error: HTTP \(status)\n".utf8))
            }
            throw ExitCode.failure
        }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try requireSuccess()
            return try JSONDecoder().decode(T.self, from: Data(body))
        }

        func printTransaction(json: Bool) throws {
            if json {
                try requireSuccess()
                print(String(decoding: body, as: UTF8.self))
                return
            }
            let view = try decode(TransactionView.self)
            print("hash:   \(view.hash)")
            print("status: \(view.status.rawValue)")
            if let height = view.height { print("height: \(height)") }
            if let index = view.index { print("index:  \(index)") }
            if let result = view.result {
                print("result: \(result.code)\(result.detail.isEmpty ? "" : " (\(result.detail))")")
            }
            if let proof = view.proof {
                print("proof:  leaf \(proof.leafIndex) of \(proof.treeSize), root \(proof.root)")
                for (level, sibling) in proof.path.enumerated() { print("  \(level): \(sibling)") }
            }
        }
    }

    /// The two methods the clients use.
    enum Method: String {
        case GET, POST
    }

    func send(_ method: Method, _ path: String, body: [UInt8]? = nil, contentType: String? = nil) async throws
        -> Reply
    {
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        var request = HTTPClientRequest(url: trimmed + path)
        request.method = .init(rawValue: method.rawValue)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let purpose { request.headers.add(name: BearerTokenMiddleware.purposeHeader, value: purpose) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/octet-stream")
            request.body = .bytes(body)
        }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        } catch {
            FileHandle.standardError.write(Data("error: cannot reach \(base): \(error)\n".utf8))
            throw ExitCode.failure
        }
        let buffer = try await response.body.collect(upTo: APIClient.responseMax)
        return Reply(status: Int(response.status.code), body: Array(buffer.readableBytesView))
    }
}

/// Reads FILE or standard input (`-`), refusing more than `limit` bytes.
func readInput(_ file: String, limit: Int) throws -> [UInt8] {
    let data: Data
    if file == "-" {
        data = FileHandle.standardInput.readDataToEndOfFile()
    } else {
        guard let contents = FileManager.default.contents(atPath: file) else {
            throw ValidationError("cannot read \(file)")
        }
        data = contents
    }
    guard data.count <= limit else { throw ValidationError("\(file) is larger than the API accepts (\(limit) bytes)") }
    return Array(data)
}
