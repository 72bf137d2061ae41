import Foundation
import Testing

/// Drives the built `folio` binary and plain `git` as a user's script would.
struct RunResult {
    var code: Int32
    var stdout: String
    var stderr: String
}

enum Tool {
    /// The folio executable sits beside the test bundle in .build/<config>/.
    static let folioPath: String = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("folio").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        for config in ["debug", "release"] {
            let candidate = FileManager.default.currentDirectoryPath + "/.build/\(config)/folio"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "folio"
    }()

    static func run(_ executable: String, _ args: [String], cwd: String? = nil, env: [String: String] = [:], stdin: Data? = nil) throws -> RunResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var environment = ProcessInfo.processInfo.environment
        environment["FOLIO_USER"] = nil
        environment["GIT_AUTHOR_NAME"] = nil
        environment["GIT_AUTHOR_EMAIL"] = nil
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let collected = OutputBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { collected.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let outData = collected.data
        p.waitUntilExit()
        return RunResult(code: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    static func git(_ args: [String], cwd: String, env: [String: String] = [:]) throws -> RunResult {
        try run("/usr/bin/git", args, cwd: cwd, env: env)
    }
}

final class OutputBox: @unchecked Sendable { var data = Data() }

/// A temporary folder removed when the test ends.
final class TempDir {
    let path: String
    init(_ name: String = "folio-test") {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    func write(_ name: String, _ text: String) -> String {
        let p = file(name)
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }
    func write(_ name: String, bytes: Data) -> String {
        let p = file(name)
        FileManager.default.createFile(atPath: p, contents: bytes)
        return p
    }
}

/// A Folio repository with a seller, two buyers and one order, made through the binary.
struct Fixture {
    static let seller = "sam@seller.example"
    static let buyer = "bea@buyer.example"
    static let otherBuyer = "otto@other.example"

    let dir: TempDir
    var repo: String { dir.file("repo") }

    init() throws {
        dir = TempDir()
        try expectOK(folio(["init", repo, "--company", "Test Co", "--currency", "USD", "--seller", Fixture.seller], as: Fixture.seller, cwd: dir.path))
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
