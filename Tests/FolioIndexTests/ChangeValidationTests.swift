import Foundation
import Testing
import FolioGit
import FolioModel
import FolioRepo
@testable import FolioIndex

/// `validate --since REV` checks HEAD's state where the range changed it: the changed
/// documents and every document related to them, found through the index. Held to the full
/// check: its findings are exactly the full check's findings about the files it looked at,
/// whatever the range broke (numbers, order links, credit notes, unique values, series,
/// stray files, deletions).
@Suite(.serialized) struct ChangeValidationTests {
    let dir = TempDir("folio-since")
    let path: String
    let git: GitRepository
    let repo: FolioRepository
    static let invoices = 80

    init() throws {
        path = try Fixture.generated(dir, invoices: Self.invoices, seed: 5, checkout: false)
        git = try GitRepository.open(at: path)
        repo = FolioRepository(git: git)
    }

    func object(_ path: String) throws -> [String: JSONValue]? {
        let head = try #require(try git.headCommit())
        return try git.readFile(path: path, at: head).map { try JSONValue.parse($0).objectValue! }
    }

    func invoicePath(_ n: Int) -> String { DocumentPaths.path(.invoice, id: String(format: "inv-%07d", n)) }

    /// The scoped check next to the full one, both at HEAD, worktree and clone findings aside
    /// (this repository has no checkout).
    func check(since base: GitOID, sourceLocation: SourceLocation = #_sourceLocation) throws -> (scoped: FolioRepository.ChangeValidation, full: [Finding]) {
        let index = try RepositoryIndex.open(git)
        let scoped = try #require(try repo.validateChanges(since: base.hex, related: index), sourceLocation: sourceLocation)
        let head = try #require(try git.headCommit())
        let changed = Set(try git.diff(from: base, to: head).map(\.path))
        let documents = Set(scoped.documents), series = Set(scoped.series)
        func aboutTheClone(_ f: Finding) -> Bool { f.rule.hasPrefix("worktree/") || f.rule.hasPrefix("clone/") }
        func looked(_ f: Finding) -> Bool {
            if DocumentPaths.parse(f.file) != nil { return documents.contains(f.file) }
            if f.rule.hasPrefix("series/") {
                return series.contains(String(f.file.dropFirst(DocumentPaths.seriesFolder.count + 1).dropLast(".json".count)))
            }
            return f.file.hasPrefix(".folio/") || changed.contains(f.file)
        }
        let full = try repo.validate().filter { !aboutTheClone($0) }
        let found = scoped.findings.filter { !aboutTheClone($0) }
        let expected = full.filter(looked)
        #expect(found == expected, "missing: \(Set(expected).subtracting(found).map(\.description).sorted().prefix(5)); extra: \(Set(found).subtracting(expected).map(\.description).sorted().prefix(5))",
                sourceLocation: sourceLocation)
        return (scoped, full)
    }

    @Test("a duplicated number and a moved invoice are reported on the unchanged documents too, and nothing unrelated")
    func relatedDocumentsAreChecked() throws {
        // Something broken before REV, related to nothing the range touches: the full check
        // reports it, the range's check does not.
        var broken = try #require(try object(invoicePath(70)))
        var totals = broken["totals"]!.objectValue!
        totals["total"] = JSONValue.int(1)
        broken["totals"] = JSONValue.object(totals)
        let base = try Fixture.commit(git, [invoicePath(70): Fixture.bytes(.object(broken))])

        // Invoice 3 takes invoice 2's number; an invoice bills the next one's order instead of its own.
        var three = try #require(try object(invoicePath(3)))
        let two = try #require(try object(invoicePath(2)))
        three["number"] = two["number"]
        // The first invoice after 4 that is not void bills its own order's items.
        let moved = try #require(try (5..<60).first { n in
            try object(invoicePath(n)).map { $0["status"] != JSONValue.string("voided") && $0["orderId"] != nil } ?? false
        })
        var five = try #require(try object(invoicePath(moved)))
        let six = try #require(try object(invoicePath(moved + 1)))
        five["orderId"] = six["orderId"]
        try Fixture.commit(git, [invoicePath(3): Fixture.bytes(.object(three)), invoicePath(moved): Fixture.bytes(.object(five))])

        let (scoped, full) = try check(since: base)
        #expect(full.contains { $0.file == invoicePath(70) && $0.rule == "arith/totals" })
        #expect(!scoped.findings.contains { $0.file == invoicePath(70) }, "unrelated to the range")
        #expect(scoped.findings.contains { $0.file == invoicePath(2) && $0.rule == "unique/number" }, "the unchanged holder of the number")
        let ownOrder = DocumentPaths.path(.order, id: String(format: "ord-%07d", moved))
        #expect(scoped.findings.contains { $0.file == ownOrder && $0.rule.hasPrefix("order/item") }, "the order the invoice left: \(scoped.findings)")
        #expect(scoped.documents.count < 20, "\(scoped.documents.count) documents read")
    }

    @Test("random ranges of damaging commits: the range's check is the full check about the files it looked at", arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func randomRanges(seed: UInt64) throws {
        var rng = SplitMix(state: seed)
        let base = try #require(try git.headCommit())
        for step in 0..<4 {
            let a = 1 + rng.int(Self.invoices), b = 1 + rng.int(Self.invoices)
            guard var inv = try object(invoicePath(a)), let other = try object(invoicePath(b)) else { continue }
            var changes: [String: Data?] = [:]
            switch rng.int(11) {
            case 0: inv["number"] = other["number"] ?? JSONValue.string("A-00001")
            case 1: inv["orderId"] = other["orderId"]
            case 2: changes[invoicePath(a)] = .some(nil)
            case 3:
                var note = other
                let id = "cn-\(seed)-\(step)"
                note["id"] = JSONValue.string(id)
                note["type"] = JSONValue.string(InvoiceType.creditNote)
                note["creditNoteFor"] = other["id"]
                note["number"] = JSONValue.string("A-9\(seed)\(step)")
                note["orderId"] = nil
                changes[DocumentPaths.path(.invoice, id: id)] = Fixture.bytes(.object(note))
            case 4: inv["extraFields"] = other["extraFields"]
            case 5:
                let orderPath = DocumentPaths.path(.order, id: inv["orderId"]?.stringValue ?? "")
                if var order = try object(orderPath), case .array(var items)? = order["items"], var item = items.first?.objectValue {
                    item["quantity"] = JSONValue.string("1000")
                    items[0] = JSONValue.object(item)
                    order["items"] = JSONValue.array(items)
                    changes[orderPath] = Fixture.bytes(.object(order))
                }
            case 6: changes["invoices/zz/notes-\(step).txt"] = Data("todo\n".utf8)
            case 7:
                if var series = try object(DocumentPaths.series("A")), case .int(let last)? = series["last"] {
                    series["last"] = JSONValue.int(last + 2)
                    changes[DocumentPaths.series("A")] = Fixture.bytes(.object(series))
                }
            case 8: inv["voidedNumbers"] = JSONValue.array([.string("A-0\(90_000 + step)")])
            case 9: inv["number"] = nil
            default:
                var totals = inv["totals"]?.objectValue ?? [:]
                totals["total"] = JSONValue.int(1)
                inv["totals"] = JSONValue.object(totals)
            }
            if changes.isEmpty { changes[invoicePath(a)] = Fixture.bytes(.object(inv)) }
            try Fixture.commit(git, changes, message: "damage \(step)")
            // The index follows HEAD step by step, as a clone's would.
            _ = try RepositoryIndex.open(git)
        }
        try check(since: base)
    }

    @Test("unique values compare as text, not bytes: a canonically equivalent value held by an unchanged invoice is found")
    func canonicallyEquivalentUniqueValues() throws {
        func withReference(_ n: Int, _ value: String) throws -> Data {
            var inv = try #require(try object(invoicePath(n)))
            inv["extraFields"] = JSONValue.array([.object(["fieldName": .string("erpReference"), "fieldValue": .string(value)])])
            return Fixture.bytes(.object(inv))
        }
        let base = try Fixture.commit(git, [invoicePath(2): try withReference(2, "Caf\u{E9}")])
        try Fixture.commit(git, [invoicePath(3): try withReference(3, "Cafe\u{301}")])
        let (scoped, _) = try check(since: base)
        #expect(scoped.findings.contains { $0.file == invoicePath(2) && $0.rule == "fields/unique" }, "\(scoped.findings)")
    }

    @Test("a range that changes settings, or is not history of HEAD, is checked whole")
    func settingsChangeChecksEverything() throws {
        let base = try #require(try git.headCommit())
        do {
            let index = try RepositoryIndex.open(git)
            #expect(try repo.validateChanges(since: base.hex, related: index) != nil)
            #expect(throws: FolioError.self) { try repo.validateChanges(since: "no-such-rev", related: index) }
        }
        let config = try #require(try object(DocumentPaths.config))
        try Fixture.commit(git, [DocumentPaths.config: Fixture.bytes(.object(config)) + Data("\n".utf8)])
        #expect(try repo.validateChanges(since: base.hex, related: RepositoryIndex.open(git)) == nil)
        // A document away from its id's path is not indexed, so it could not be found as a
        // holder of anything: the whole state is checked while one is there.
        let after = try #require(try git.headCommit())
        let copy = try #require(try git.readFile(path: invoicePath(4), at: after))
        try Fixture.commit(git, ["invoices/00/00/inv-0000004.json": copy])
        #expect(try repo.validateChanges(since: after.hex, related: RepositoryIndex.open(git)) == nil)
    }
}
