import Foundation
import Testing
import FolioGit
import FolioModel
import FolioRepo
// Tool, RunResult, Running and TempDir, shared with the command tests.
@_exported import FolioTestSupport

// Helpers for the index tests: the built binary and plain git as a user's script would
// drive them (after Tests/FolioCommandsTests/Support.swift), generated repositories, and the
// reference answers computed the straightforward way, from the documents.

/// The clock every folio process of these tests runs with, so that "overdue" means the same
/// to the binary and to the reference answers.
let fixedClock = ["FOLIO_NOW": "2026-06-01T12:00:00Z"]

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
