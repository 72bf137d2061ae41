import Foundation
import Testing
import FolioGit
import FolioModel
import FolioRepo

// Helpers for the index tests: the built binary and plain git as a user's script would
// drive them (after Tests/FolioCommandsTests/Support.swift), generated repositories, and the
// reference answers computed the straightforward way, from the documents.

struct RunResult {
    var code: Int32
    var stdout: String
    var stderr: String
    var killed: Bool { code == -9 }
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

    /// Runs to completion; a process killed by a signal reports `-signal` as its code.
    static func run(_ executable: String, _ args: [String], cwd: String? = nil, env: [String: String] = [:]) throws -> RunResult {
        let p = try start(executable, args, cwd: cwd, env: env)
        return p.wait()
    }

    static func start(_ executable: String, _ args: [String], cwd: String? = nil, env: [String: String] = [:]) throws -> Running {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        var environment = ProcessInfo.processInfo.environment
        for key in ["FOLIO_USER", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "FOLIO_INDEX_TEST_CRASH", "FOLIO_INDEX_TEST_SLOW", "FOLIO_INDEX_TIMING", "GIT_DIR", "GIT_WORK_TREE"] {
            environment[key] = nil
        }
        environment["FOLIO_NOW"] = environment["FOLIO_NOW"] ?? "2026-06-01T12:00:00Z"
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return Running(process: p, out: out, err: err)
    }

    static func git(_ args: [String], cwd: String) throws -> RunResult {
        try run("/usr/bin/git", ["-c", "user.name=Witness", "-c", "user.email=witness@example.org"] + args, cwd: cwd)
    }
}

final class Running: @unchecked Sendable {
    let process: Process
    private let out: Pipe, err: Pipe
    private var outData = Data(), errData = Data()
    private let group = DispatchGroup()

    init(process: Process, out: Pipe, err: Pipe) {
        self.process = process; self.out = out; self.err = err
        group.enter()
        DispatchQueue.global().async { self.outData = out.fileHandleForReading.readDataToEndOfFile(); self.group.leave() }
        group.enter()
        DispatchQueue.global().async { self.errData = err.fileHandleForReading.readDataToEndOfFile(); self.group.leave() }
    }

    func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }

    /// Waits at most `seconds`, then kills the process (its code is then -9), so that a hang
    /// fails the test instead of stopping the suite.
    func wait(timeout seconds: Double) -> RunResult {
        let process = self.process
        let killer = DispatchWorkItem { if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: killer)
        defer { killer.cancel() }
        return wait()
    }

    func wait() -> RunResult {
        group.wait()
        process.waitUntilExit()
        let code = process.terminationReason == .uncaughtSignal ? -process.terminationStatus : process.terminationStatus
        return RunResult(code: code, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A temporary folder removed when the test ends.
final class TempDir: @unchecked Sendable {
    let path: String
    init(_ name: String = "folio-index-test") {
        path = (NSTemporaryDirectory() as NSString).appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}

typealias SplitMix = SplitMix64

extension SplitMix64 {
    mutating func pick<T>(_ items: [T]) -> T { items[int(items.count)] }
}

enum Fixture {
    static let seller = "ana@seller.example"
    static let author = GitSignature(name: "Test", email: "test@seller.example", time: 1_780_000_000)

    /// `folio generate`'s repository: checked out when plain git has to work on it.
    static func generated(_ dir: TempDir, invoices: Int, seed: UInt64, checkout: Bool) throws -> String {
        let path = dir.file("repo")
        var g = SyntheticRepository(invoices: invoices, seed: seed)
        g.checkout = checkout
        g.batchSize = max(1, invoices / 2)
        _ = try g.generate(at: path)
        return path
    }

    /// A commit of HEAD's tree with `changes`, made without a working tree (as a push from
    /// elsewhere would land).
    @discardableResult
    static func commit(_ git: GitRepository, _ changes: [String: Data?], message: String = "test change") throws -> GitOID {
        let head = try git.headCommit()
        let tree = try git.writeTree(base: try head.map { try git.commitInfo($0).tree }, changes: changes)
        let commit = try git.createCommit(tree: tree, parents: head.map { [$0] } ?? [], message: message, author: author, committer: author)
        try git.updateRef("refs/heads/main", to: commit, expected: head, logMessage: message)
        return commit
    }

    static func invoice(_ git: GitRepository, _ id: String) throws -> Invoice {
        let head = try #require(try git.headCommit())
        let data = try #require(try git.readFile(path: DocumentPaths.path(.invoice, id: id), at: head))
        return try DocumentCodec.decode(Invoice.self, data: data, schema: Schemas.invoice, file: id).0
    }

    static func bytes(_ value: JSONValue) -> Data { Data(CanonicalJSON.bytes(value)) }

    /// Invoices whose text, numbers and optional fields take the paths plain generated data
    /// never takes (non-ASCII, canonical equivalents, "\r\n", absent derived fields…), and
    /// documents that must be reported and skipped.
    static func edgeChanges(_ git: GitRepository) throws -> [String: Data?] {
        let base = try invoice(git, "inv-0000003")
        var out: [String: Data?] = [:]
        var n = 0
        func add(_ change: (inout Invoice) -> Void, json: ((inout [String: JSONValue]) -> Void)? = nil) {
            n += 1
            var inv = base
            inv.id = String(format: "edge-%02d", n)
            change(&inv)
            var o = JSONValue.encoding(inv).objectValue!
            json?(&o)
            out[DocumentPaths.path(.invoice, id: inv.id)] = bytes(.object(o))
        }
        add { $0.customer.name = "Ünïcödé Straße GmbH"; $0.customer.id = "C00001" }
        add { $0.customer.name = "Cafe\u{301} Ole\u{301}" }
        add { $0.customer.name = "\u{212A}elvin Industries"; $0.number = "A-99001" }
        add { $0.customer.name = "\u{130}stanbul Tekstil" }
        add { $0.purchaseOrderNumber = "PO-\r\n77"; $0.externalCustomerId = "ERP-\u{C9}X" }
        add { $0.number = "\u{C4}-00042" }
        add { $0.number = "A\u{30A}-7" }
        add { $0.number = "\u{C5}-7" }
        add({ _ in }, json: { $0["status"] = nil; $0["paymentStatus"] = nil })
        add({ _ in }, json: { $0["totals"] = nil })
        add { $0.type = "Credit-Note"; $0.channel = "B2B" }
        add { $0.externalId = "E\u{301}XT-1"; $0.customer.name = nil }
        add { inv in
            inv.events = []; inv.status = .draft; inv.number = nil
            inv.conflicts = [try! JSONValue.object(["id": "c-1", "path": "/note", "ours": "a", "theirs": "b"]).decode(ConflictRecord.self)]
        }
        add { $0.number = "B-1"; $0.customer.name = "  spaced\tout  " }
        // Reported and skipped:
        var bad = JSONValue.encoding(base).objectValue!
        bad["id"] = "bad-type"
        if case .array(var lines) = bad["lines"], case .object(var line) = lines[0] {
            line["unitPrice"] = "12.50"; lines[0] = .object(line); bad["lines"] = .array(lines)
        }
        out[DocumentPaths.path(.invoice, id: "bad-type")] = bytes(.object(bad))
        out[DocumentPaths.path(.invoice, id: "bad-syntax")] = Data("{\"id\": \"bad-syntax\", \"lines\": [".utf8)
        var elsewhere = JSONValue.encoding(base).objectValue!
        elsewhere["id"] = "misplaced"
        out["invoices/00/00/misplaced-copy.json"] = bytes(.object(elsewhere))
        out["invoices/README.txt"] = Data("not a document\n".utf8)
        return out
    }

    static let badPaths: Set<String> = [
        DocumentPaths.path(.invoice, id: "bad-type"), DocumentPaths.path(.invoice, id: "bad-syntax"), "invoices/00/00/misplaced-copy.json",
    ]

    /// The reference answer: every invoice document decoded by the model, as
    /// `Snapshot.invoices()` does, except those the index reports (undecodable, or not at
    /// the path their id names).
    static func reference(_ git: GitRepository) throws -> (invoices: [Invoice], skipped: Set<String>) {
        guard let head = try git.headCommit() else { return ([], []) }
        var out: [Invoice] = []
        var skipped: Set<String> = []
        for entry in try git.listFiles(at: head, under: "invoices") where entry.path.hasSuffix(".json") {
            do {
                let inv = try DocumentCodec.decode(Invoice.self, data: try git.readBlob(entry.blob), schema: Schemas.invoice, file: entry.path).0
                if DocumentPaths.path(.invoice, id: inv.id) == entry.path { out.append(inv) } else { skipped.insert(entry.path) }
            } catch {
                skipped.insert(entry.path)
            }
        }
        return (out, skipped)
    }
}
