import Foundation
import Testing

/// Issue 10, 9a: with three or more replicas the merged document depends on the set of
/// changes, never on the path they travelled. The same offline edits (the same commits, in
/// copies of the same clones) are synced in several orders through a bare remote; every order
/// ends with the same bytes, and the conflict records name the sellers who made the edits;
/// plain `git pull` (the merge driver) ends with the same bytes as `folio sync`.
@Suite("Every order of syncs ends with the same document", .serialized)
struct SyncOrderTests {
    static let seller2 = "sue@seller.example"
    static let seller3 = "sid@seller.example"

    struct Replica { let name: String; let folder: String; let who: String }

    func sync(_ dir: String, _ r: Replica, plainGit: Bool) throws -> RunResult {
        let repo = dir + "/" + r.folder
        guard plainGit else { return try Tool.run(Tool.folioPath, ["-C", repo, "--as", r.who, "sync"], cwd: dir) }
        // The merge driver decides as `folio sync` does.
        let pull = try Tool.git(["-c", "user.email=\(r.who)", "-c", "user.name=\(r.name)", "pull", "--no-edit", "origin", "main"], cwd: repo)
        guard pull.code == 0 else { return pull }
        return try Tool.git(["push", "origin", "HEAD:main"], cwd: repo)
    }

    func head(_ repo: String, _ path: String) throws -> String {
        try Tool.git(["show", "HEAD:" + path], cwd: repo).stdout
    }

    @Test("three sellers set the note at different times and the buyer pays: every sync order gives the same invoice")
    func anySyncOrder() throws {
        let p = try SyncTests.TwoParties()
        let f = p.f
        try expectOK(f.folio(["party", "add", Self.seller2, "--role", "seller", "--name", "Sue"]))
        try expectOK(f.folio(["party", "add", Self.seller3, "--role", "seller", "--name", "Sid"]))
        let id = try f.draft()
        try expectOK(f.folio(["invoice", "send", id]))
        try expectOK(f.folio(["sync"]))
        try expectOK(p.atBuyer(["sync"]))
        for (folder, who) in [("s2", Self.seller2), ("s3", Self.seller3)] {
            try expectOK(Tool.run(Tool.folioPath, ["--as", who, "clone", p.bare, f.dir.file(folder)], cwd: f.dir.path))
        }
        let replicas = [Replica(name: "s1", folder: "repo", who: Fixture.seller), Replica(name: "s2", folder: "s2", who: Self.seller2),
                        Replica(name: "s3", folder: "s3", who: Self.seller3), Replica(name: "buyer", folder: "buyer", who: Fixture.buyer)]
        // Offline, each at its own time: s3 first, then s1, s2 last; the buyer pays after all.
        func at(_ r: Replica, _ second: Int, _ args: [String]) throws {
            try expectOK(Tool.run(Tool.folioPath, ["-C", f.dir.file(r.folder), "--as", r.who] + args, cwd: f.dir.path,
                                  env: ["FOLIO_NOW": String(format: "2026-11-02T10:00:%02dZ", second)]))
        }
        try at(replicas[2], 1, ["invoice", "update", id, "--set", "/note=from sid"])
        try at(replicas[0], 2, ["invoice", "update", id, "--set", "/note=from sam"])
        try at(replicas[1], 3, ["invoice", "update", id, "--set", "/note=from sue"])
        try at(replicas[3], 4, ["invoice", "pay", id, "--amount", "1.00", "--reference", "R-1"])
        let path = try #require(Tool.git(["ls-files", "invoices"], cwd: f.repo).stdout.split(separator: "\n").first.map(String.init))

        let orders = [["s1", "s2", "s3", "buyer"], ["buyer", "s1", "s2", "s3"], ["s3", "buyer", "s2", "s1"],
                      ["s2", "s3", "buyer", "s1"], ["buyer", "s3", "s1", "s2"], ["s1", "buyer", "s3", "s2"],
                      ["git", "buyer", "s3", "s1", "s2"], ["git", "s2", "s1", "buyer", "s3"]]
        var results: [String: [String]] = [:]
        let copies = TempDir("folio-sync-orders")
        for (k, order) in orders.enumerated() {
            // A copy of the four clones and the remote, as they stand before any sync.
            let dir = copies.file("order-\(k)")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let folders = replicas.map { f.dir.file($0.folder) } + [p.bare]
            #expect(try Tool.run("/bin/cp", ["-a"] + folders + [dir]).code == 0)
            let bare = dir + "/remote.git"
            for r in replicas { #expect(try Tool.git(["remote", "set-url", "origin", bare], cwd: dir + "/" + r.folder).code == 0) }
            let plainGit = order.first == "git"
            let sequence = order.filter { $0 != "git" }.map { name in replicas.first { $0.name == name }! }
            // Rounds until every replica holds the same tree.
            for _ in 0..<3 {
                for r in sequence { let s = try sync(dir, r, plainGit: plainGit); #expect(s.code == 0, "order \(order): \(r.name): \(s.stderr)") }
            }
            let trees = try Set(replicas.map { try Tool.git(["rev-parse", "HEAD^{tree}"], cwd: dir + "/" + $0.folder).stdout })
            #expect(trees.count == 1, "order \(order): the replicas converged")
            results[try head(dir + "/repo", path), default: []].append(order.joined(separator: ","))
            #expect(try Tool.git(["fsck", "--strict"], cwd: bare).code == 0)
        }
        #expect(results.count == 1, "every order gives the same invoice; got \(results.count) versions: \(results.values.map { $0.joined(separator: " | ") })")
        let text = try #require(results.keys.first)
        let invoice = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(invoice["note"] as? String == "from sue", "the latest edit wins")
        #expect((invoice["payments"] as? [Any])?.count == 1, "the payment is kept")
        let records = try #require(invoice["conflicts"] as? [[String: Any]])
        #expect(Set(records.compactMap { $0["theirs"] as? String }) == ["from sid", "from sam"], "each losing note is recorded once")
        for record in records {
            #expect(record["ours"] as? String == "from sue")
            #expect(record["oursBy"] as? String == Self.seller2, "the winner's author is the seller who wrote it")
            #expect([Fixture.seller, Self.seller3].contains(record["theirsBy"] as? String ?? ""), "never the buyer: \(record)")
        }
    }

    @Test("two seller clones credit the same line offline: the merge records it on the invoice; voiding one credit note and resolving turns validate green")
    func doubleCreditOffline() throws {
        let p = try SyncTests.TwoParties()
        let f = p.f
        let id = try f.draft(items: "2")                                   // one coat
        try expectOK(f.folio(["invoice", "send", id]))
        try expectOK(f.folio(["sync"]))
        try expectOK(p.atBuyer(["sync"]))
        try expectOK(p.atBuyer(["invoice", "accept", id]))
        try expectOK(p.atBuyer(["sync"]))
        try expectOK(f.folio(["sync"]))
        let desk = f.dir.file("desk")
        try expectOK(Tool.run(Tool.folioPath, ["--as", Fixture.seller, "clone", p.bare, desk], cwd: f.dir.path))
        func atDesk(_ args: [String]) throws -> RunResult { try Tool.run(Tool.folioPath, ["-C", desk, "--as", Fixture.seller] + args, cwd: f.dir.path) }
        try expectOK(atDesk(["series", "claim", "DESK"]))
        // Offline on both clones: each credits the whole coat.
        let one = try #require(f.json(["invoice", "credit", id, "--reason", "returned"])["id"] as? String)
        let created = try atDesk(["invoice", "credit", id, "--reason", "returned", "--json"])
        let two = try #require((JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])?["id"] as? String, "\(created.stderr)")
        try expectOK(f.folio(["sync"]))
        try expectOK(atDesk(["sync"]))
        try expectOK(f.folio(["sync"]))
        let invoice = try f.json(["invoice", "show", id])
        let records = try #require(invoice["conflicts"] as? [[String: Any]], "the double credit is recorded on the invoice")
        #expect(records.count == 1)
        #expect(records.first?["path"] as? String == "/lines/0/quantity")
        #expect((records.first?["reason"] as? String)?.contains("credited 2 in all") == true, "\(records)")
        let red = try f.folio(["validate"], as: nil)
        #expect(red.code == 1 && red.stdout.contains("credit/over") && red.stdout.contains("conflicts/unresolved"), "\(red.stdout)")
        // The repair: a credit note that is not a double credit cannot be voided ...
        // ... this one can, and the record is then resolved.
        try expectOK(f.folio(["invoice", "void", two, "--reason", "issued twice offline"]))
        let again = try f.folio(["invoice", "void", one])
        #expect(again.code == 1 && again.stderr.contains("final once issued"), "the remaining credit note is final: \(again.stderr)")
        try expectOK(f.folio(["resolve", id, "--path", "/lines/0/quantity", "--take", "ours"]))
        try expectOK(f.folio(["validate"], as: nil))
        try expectOK(f.folio(["sync"]))
        try expectOK(atDesk(["sync"]))
        #expect(try Tool.git(["rev-parse", "HEAD^{tree}"], cwd: desk).stdout == Tool.git(["rev-parse", "HEAD^{tree}"], cwd: f.repo).stdout)
    }
}
