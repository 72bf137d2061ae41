import Foundation
import Testing
// Tool, RunResult, Running and TempDir, shared with the index tests.
@_exported import FolioTestSupport

/// A Folio repository with a seller, two buyers and one order, made through the binary.
struct Fixture {
    static let seller = "sam@seller.example"
    static let buyer = "bea@buyer.example"
    static let otherBuyer = "otto@other.example"

    let dir: TempDir
    var repo: String { dir.file("repo") }

    init() throws {
        dir = TempDir()
        try expectOK(folio(["init", repo, "--company", "Test Co", "--currency", "USD", "--seller", Fixture.seller, "--unsigned"], as: Fixture.seller, cwd: dir.path))
        try expectOK(folio(["party", "add", Fixture.buyer, "--role", "buyer", "--customer", "C1", "--name", "Bea"]))
        try expectOK(folio(["party", "add", Fixture.otherBuyer, "--role", "buyer", "--customer", "C2"]))
        let order = dir.write("order.json", """
            {"id": "O-1", "customer": {"id": "C1", "name": "Bea's Shop"}, "channel": "b2b", "currency": "USD",
             "items": [{"ref": "1", "productId": "P-1", "description": "Shirt", "quantity": "3", "unitPrice": 1999, "taxRate": "10"},
                       {"ref": "2", "productId": "P-2", "description": "Coat", "quantity": "1", "unitPrice": 15000, "taxRate": "7.5"},
                       {"ref": "3", "description": "Belt", "quantity": "2", "unitPrice": 2500, "taxRate": "0"}]}
            """)
        try expectOK(folio(["order", "create", "--file", order]))
    }

    @discardableResult
    func folio(_ args: [String], as who: String? = Fixture.seller, cwd: String? = nil, env: [String: String] = [:]) throws -> RunResult {
        var full: [String] = []
        if cwd == nil { full += ["-C", repo] }
        if let who { full += ["--as", who] }
        return try Tool.run(Tool.folioPath, full + args, cwd: cwd ?? dir.path, env: env)
    }

    func json(_ args: [String], as who: String? = Fixture.seller) throws -> [String: Any] {
        let r = try folio(args + ["--json"], as: who)
        try #require(r.code == 0, "\(args) failed: \(r.stderr)")
        return try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    func head() throws -> String { try Tool.git(["rev-parse", "HEAD"], cwd: repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines) }
    func status() throws -> String { try Tool.git(["status", "--porcelain"], cwd: repo).stdout }

    /// Creates a draft from the order's given items and returns its id.
    func draft(items: String? = nil) throws -> String {
        var args = ["invoice", "create", "--order", "O-1"]
        if let items { args += ["--items", items] }
        return try #require(json(args)["id"] as? String)
    }
}

func expectOK(_ r: RunResult, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(r.code == 0, "exit \(r.code): \(r.stderr)", sourceLocation: sourceLocation)
    if r.code != 0 { throw CancellationError() }
}
