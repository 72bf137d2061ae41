import Foundation
import Testing

/// `folio validate` as CI uses it: state checks, formats, --fix, and history mode.
@Suite("Validate for CI")
struct ValidateTests {
    /// Rewrites one invoice file by hand and commits it with plain git under `author`.
    func handCommit(_ f: Fixture, id: String, author: String, _ change: (inout [String: Any]) -> Void) throws {
        let path = try Tool.git(["ls-files", "invoices"], cwd: f.repo).stdout.split(separator: "\n").map(String.init)
            .first { $0.hasSuffix("/\(id).json") }!
        let file = f.repo + "/" + path
        var doc = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any])
        change(&doc)
        let data = try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .prettyPrinted])
        try data.write(to: URL(fileURLWithPath: file))
        let r = try Tool.git(["-c", "user.email=\(author)", "-c", "user.name=x", "commit", "-qam", "hand edit"], cwd: f.repo)
        #expect(r.code == 0, "\(r.stderr)")
    }

    @Test("a hand-committed wrong total fails validation with the rule, file and pointer; github format annotates")
    func wrongTotal() throws {
        let f = try Fixture()
        let id = try f.draft()
        try handCommit(f, id: id, author: Fixture.seller) { doc in
            var totals = doc["totals"] as! [String: Any]
            totals["total"] = 1
            doc["totals"] = totals
        }
        let r = try f.folio(["validate"], as: nil)
        #expect(r.code == 1)
        #expect(r.stdout.contains("#/totals/total: error[arith/totals]"))
        #expect(r.stdout.contains("\(id).json#"))
        let gh = try f.folio(["validate", "--format", "github"], as: nil)
        #expect(gh.code == 1)
        #expect(gh.stdout.contains("::error file=invoices/") && gh.stdout.contains("title=arith/totals"))
        let json = try f.folio(["validate", "--format", "json"], as: nil)
        let report = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let rules = (report["findings"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String }
        #expect(rules.contains("arith/totals") && rules.contains("json/canonical"))
        // --fix rewrites canonical form and derived fields as one commit; then it validates.
        try expectOK(f.folio(["validate", "--fix"]))
        #expect(try Tool.git(["log", "-1", "--format=%s"], cwd: f.repo).stdout.hasPrefix("Rewrite 1 document"))
        #expect(try f.folio(["validate"], as: nil).code == 0)
    }

    @Test("--fix never makes a tampered accepted invoice look consistent: it stays reported")
    func fixLeavesTamperedFinalInvoices() throws {
        let f = try Fixture()
        let id = try f.draft()
        try expectOK(f.folio(["invoice", "send", id]))
        try expectOK(f.folio(["invoice", "accept", id], as: Fixture.buyer))
        try handCommit(f, id: id, author: Fixture.seller) { doc in
            var lines = doc["lines"] as! [[String: Any]]
            lines[0]["quantity"] = "30"
            doc["lines"] = lines
        }
        let fix = try f.folio(["validate", "--fix"])
        #expect(fix.code == 1, "what --fix must not fix is still an error")
        #expect(try Tool.git(["log", "-1", "--format=%s"], cwd: f.repo).stdout.hasPrefix("Rewrite 1 document"))
        let after = try f.folio(["validate"], as: nil)
        #expect(after.code == 1 && after.stdout.contains("error[arith/line]") && after.stdout.contains("error[arith/totals]"), "\(after.stdout)")
        #expect(!after.stdout.contains("json/canonical"), "its bytes were put in canonical form")
    }

    @Test("a stray file and a submodule link where documents belong are errors, named as such")
    func strayFilesAndSubmodules() throws {
        let f = try Fixture()
        let before = try f.head()
        try FileManager.default.createDirectory(atPath: f.repo + "/invoices", withIntermediateDirectories: true)
        try f.dir.write("repo/invoices/notes.txt", "todo\n")
        try f.dir.write("repo/invoices/inv-9.json", "{}\n")
        #expect(try Tool.git(["add", "invoices"], cwd: f.repo).code == 0)
        let head = try f.head()
        #expect(try Tool.git(["update-index", "--add", "--cacheinfo", "160000,\(head),orders/vendor"], cwd: f.repo).code == 0)
        #expect(try Tool.git(["commit", "-qm", "strays"], cwd: f.repo).code == 0)
        let r = try f.folio(["validate"], as: nil)
        #expect(r.code == 1)
        #expect(r.stdout.contains("invoices/notes.txt: error[path/stray]: is not a document"), "\(r.stdout)")
        #expect(r.stdout.contains("invoices/inv-9.json#"), "a .json outside its id's path is read and reported: \(r.stdout)")
        #expect(r.stdout.contains("orders/vendor: error[path/submodule]"), "\(r.stdout)")
        // The range's check sees what the range added: strays and the link.
        let since = try f.folio(["validate", "--since", before], as: nil)
        #expect(since.code == 1 && since.stderr.contains("checked"), "\(since.stderr)")
        #expect(since.stdout.contains("invoices/notes.txt: error[path/stray]") && since.stdout.contains("orders/vendor: error[path/submodule]"), "\(since.stdout)")
    }

    @Test("--strict turns warnings into a failure")
    func strict() throws {
        let f = try Fixture()
        let clone = f.dir.file("plain")
        #expect(try Tool.git(["clone", "-q", f.repo, clone], cwd: f.dir.path).code == 0)
        let lax = try Tool.run(Tool.folioPath, ["-C", clone, "validate"], cwd: f.dir.path)
        #expect(lax.code == 0)
        #expect(lax.stdout.contains("clone/merge-driver"))
        #expect(try Tool.run(Tool.folioPath, ["-C", clone, "validate", "--strict"], cwd: f.dir.path).code == 1)
        // A clone registered before the virtual-base driver existed is told what to add.
        #expect(try f.folio(["validate", "--strict"], as: nil).code == 0)
        #expect(try Tool.git(["config", "--unset", "merge.folio.recursive"], cwd: f.repo).code == 0)
        let old = try f.folio(["validate"], as: nil)
        #expect(old.code == 0 && old.stdout.contains("clone/merge-driver") && old.stdout.contains("merge.folio.recursive"), "\(old.stdout)")
    }

    @Test("history mode: buyers never change content, sellers never answer, accepted content never changes, sent invoices are never deleted")
    func history() throws {
        let f = try Fixture()
        let start = try f.head()
        let a = try f.draft(items: "1")
        try expectOK(f.folio(["invoice", "send", a]))
        #expect(try f.folio(["validate", "--since", start], as: nil).code == 0, "folio's own commits pass")
        try handCommit(f, id: a, author: Fixture.buyer) { $0["note"] = "buyer wrote this" }
        try handCommit(f, id: a, author: Fixture.seller) { doc in
            var events = doc["events"] as! [[String: Any]]
            events.append(["id": "ev-fake", "type": "accepted", "revision": 1, "by": Fixture.seller, "at": "2026-11-22T10:00:00Z"])
            doc["events"] = events
        }
        let path = try Tool.git(["ls-files", "invoices"], cwd: f.repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try handCommit(f, id: a, author: Fixture.seller) { $0["terms"] = "changed after acceptance" }
        #expect(try Tool.git(["-c", "user.email=\(Fixture.seller)", "-c", "user.name=x", "rm", "-q", path], cwd: f.repo).code == 0)
        #expect(try Tool.git(["-c", "user.email=\(Fixture.seller)", "-c", "user.name=x", "commit", "-qm", "delete"], cwd: f.repo).code == 0)
        let r = try f.folio(["validate", "--since", start, "--format", "json"], as: nil)
        #expect(r.code == 1)
        let report = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rules = Set((report["findings"] as? [[String: Any]] ?? []).compactMap { $0["rule"] as? String })
        for rule in ["history/buyer-content", "history/seller-answer", "history/accepted-content", "history/delete-sent"] {
            #expect(rules.contains(rule), "\(rule) in \(rules.sorted())")
        }
        #expect(try f.folio(["validate", "--since", "no-such-rev"], as: nil).code == 2)
    }

    @Test("--since checks HEAD's state where the range changed it; --full checks all of it; the working tree of the changed files is compared")
    func sinceChecksWhatTheRangeChanged() throws {
        let f = try Fixture()
        // A broken draft of another order: older than the range, and related to nothing in it.
        let other = f.dir.write("order2.json", """
            {"id": "O-2", "customer": {"id": "C2"}, "currency": "USD",
             "items": [{"ref": "1", "description": "Hat", "quantity": "1", "unitPrice": 900, "taxRate": "0"}]}
            """)
        try expectOK(f.folio(["order", "create", "--file", other]))
        let a = try #require(f.json(["invoice", "create", "--order", "O-2"])["id"] as? String)
        try handCommit(f, id: a, author: Fixture.seller) { doc in
            var totals = doc["totals"] as! [String: Any]
            totals["total"] = 1
            doc["totals"] = totals
        }
        let start = try f.head()
        let b = try f.draft(items: "2")
        try expectOK(f.folio(["invoice", "send", b]))
        let scoped = try f.folio(["validate", "--since", start], as: nil)
        #expect(scoped.code == 0, "the broken draft is older than the range and unrelated to it: \(scoped.stdout)")
        #expect(scoped.stderr.contains("folio validate: checked 3 file(s) changed since \(start)"), "\(scoped.stderr)")
        let full = try f.folio(["validate", "--since", start, "--full"], as: nil)
        #expect(full.code == 1 && full.stdout.contains("\(a).json#/totals/total: error[arith/totals]"), "\(full.stdout)")
        #expect(try f.folio(["validate"], as: nil).code == 1)
        // B's order is related: breaking its accounting by hand shows in the range's check.
        let orderPath = try #require(try Tool.git(["ls-files", "orders"], cwd: f.repo).stdout.split(separator: "\n").map(String.init).first { $0.hasSuffix("/O-1.json") })
        let orderFile = f.repo + "/" + orderPath
        var order = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: orderFile))) as? [String: Any])
        var items = order["items"] as! [[String: Any]]
        items[1]["quantity"] = "5"
        order["items"] = items
        try JSONSerialization.data(withJSONObject: order, options: [.sortedKeys, .prettyPrinted]).write(to: URL(fileURLWithPath: orderFile))
        let dirty = try f.folio(["validate", "--since", start], as: nil)
        #expect(dirty.stdout.contains("\(orderPath): warning[worktree/uncommitted]"), "\(dirty.stdout)")
        #expect(try Tool.git(["-c", "user.email=\(Fixture.seller)", "-c", "user.name=x", "commit", "-qam", "order"], cwd: f.repo).code == 0)
        let related = try f.folio(["validate", "--since", start], as: nil)
        #expect(related.code == 1 && related.stdout.contains("\(orderPath)#/items/1: error[order/item-quantity]"), "\(related.stdout)")
        #expect(!related.stdout.contains("arith/totals"), "\(related.stdout)")
    }

    @Test("generate is deterministic for a seed and produces a repository that validates")
    func generate() throws {
        let dir = TempDir()
        for name in ["one", "two"] {
            try expectOK(Tool.run(Tool.folioPath, ["generate", "--invoices", "300", "--seed", "9", dir.file(name)], cwd: dir.path))
        }
        let t1 = try Tool.git(["rev-parse", "HEAD^{tree}"], cwd: dir.file("one")).stdout
        let t2 = try Tool.git(["rev-parse", "HEAD^{tree}"], cwd: dir.file("two")).stdout
        #expect(t1 == t2, "same seed, same tree")
        #expect(try Tool.git(["fsck", "--strict"], cwd: dir.file("one")).code == 0)
        #expect(try Tool.git(["status", "--porcelain"], cwd: dir.file("one")).stdout.isEmpty)
        let v = try Tool.run(Tool.folioPath, ["-C", dir.file("one"), "validate", "--format", "json"], cwd: dir.path)
        let report = try #require(JSONSerialization.jsonObject(with: Data(v.stdout.utf8)) as? [String: Any])
        #expect(report["errors"] as? Int == 0, "\(v.stdout.prefix(2000))")
        try expectOK(Tool.run(Tool.folioPath, ["generate", "--invoices", "300", "--seed", "10", dir.file("three")], cwd: dir.path))
        #expect(try Tool.git(["rev-parse", "HEAD^{tree}"], cwd: dir.file("three")).stdout != t1)
    }
}
