import Foundation
import Testing

/// Several `folio` processes writing to one clone at once (issue 10, defect 0): each waits
/// for the others, and every command that exits 0 is in the result.
@Suite("Concurrent writes on one clone")
struct ConcurrencyTests {
    static func invoiceJSON(_ f: Fixture, _ id: String) throws -> [String: Any] {
        try f.json(["invoice", "show", id])
    }

    @Test("eight concurrent payments on one invoice: all succeed, all are recorded, one commit each")
    func concurrentPayments() throws {
        let f = try Fixture()
        let id = try f.draft()
        try expectOK(f.folio(["invoice", "send", id]))
        try expectOK(f.folio(["invoice", "accept", id], as: Fixture.buyer))
        let before = try Int(Tool.git(["rev-list", "--count", "HEAD"], cwd: f.repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let running = try (0..<8).map { i in
            try Tool.start(Tool.folioPath, ["-C", f.repo, "--as", Fixture.seller, "invoice", "pay", id, "--amount", "1.00", "--reference", "REF-\(i)"], cwd: f.dir.path)
        }
        let results = running.map { $0.wait(timeout: 120) }
        for (i, r) in results.enumerated() { #expect(r.code == 0, "pay \(i) exited \(r.code): \(r.stderr)") }
        let payments = try #require(Self.invoiceJSON(f, id)["payments"] as? [[String: Any]])
        let references = Set(payments.compactMap { $0["reference"] as? String })
        #expect(references == Set((0..<8).map { "REF-\($0)" }))
        let after = try Int(Tool.git(["rev-list", "--count", "HEAD"], cwd: f.repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(after - before == 8)
        #expect(try f.status().isEmpty, "the working tree is in step with HEAD")
        try expectOK(f.folio(["validate"]))
    }

    @Test("eight concurrent edits of different fields: none is lost")
    func concurrentEdits() throws {
        let f = try Fixture()
        let id = try f.draft()
        let edits = [("note", "a note"), ("terms", "net 30"), ("externalId", "EXT-1"), ("purchaseOrderNumber", "PO-7"),
                     ("externalCustomerId", "XC-9"), ("dueDate", "2027-03-31"), ("externalPdfUrl", "https://example.com/a.pdf"),
                     ("shipment", #"{"carrier":"DHL"}"#)]
        let running = try edits.map { field, value in
            try Tool.start(Tool.folioPath, ["-C", f.repo, "--as", Fixture.seller, "invoice", "update", id, "--set", "/\(field)=\(value)"], cwd: f.dir.path)
        }
        let results = running.map { $0.wait(timeout: 120) }
        for (i, r) in results.enumerated() { #expect(r.code == 0, "update /\(edits[i].0) exited \(r.code): \(r.stderr)") }
        let doc = try Self.invoiceJSON(f, id)
        for (field, value) in edits.dropLast() { #expect(doc[field] as? String == value, "/\(field) was lost") }
        #expect((doc["shipment"] as? [String: Any])?["carrier"] as? String == "DHL", "/shipment was lost")
        #expect(try f.status().isEmpty)
    }

    @Test("a write whose branch plain git moves between its decision and its commit decides again on the new state")
    func branchMovedByPlainGit() throws {
        let f = try Fixture()
        let id = try f.draft()
        let before = try f.head()
        // Folio decides, then, before it moves the branch, plain git commits (a debug-build hook).
        let byHand = "echo by-hand > NOTES.txt && git add NOTES.txt && git commit -qm 'notes by hand'"
        let r = try f.folio(["invoice", "update", id, "--set", "/note=after"], env: ["FOLIO_TEST_RUN_AT": "write.before-branch:cd \(f.repo) && \(byHand)"])
        #expect(r.code == 0, "\(r.stderr)")
        // Both are there: Folio's edit on top of the hand commit, which sits on what Folio first read.
        let log = try Tool.git(["log", "--format=%s", "-3"], cwd: f.repo).stdout.split(separator: "\n").map(String.init)
        #expect(log.count == 3 && log[0].hasPrefix("Edit invoice") && log[1] == "notes by hand", "\(log)")
        let grandparent = try Tool.git(["rev-parse", "HEAD~2"], cwd: f.repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(grandparent == before)
        #expect(try Tool.git(["ls-tree", "--name-only", "HEAD"], cwd: f.repo).stdout.contains("NOTES.txt"))
        #expect(try Self.invoiceJSON(f, id)["note"] as? String == "after")
        #expect(try f.status().isEmpty)
    }
}
