import Foundation
import Testing

/// Sync over real remotes (a bare repository on disk, and `git daemon` on 127.0.0.1), driven
/// through the binary, with plain git as the witness.
@Suite("Sync between seller and buyer clones", .serialized)
struct SyncTests {
    /// A seller repository pushed to a bare remote, and a buyer clone made by `folio clone`.
    struct TwoParties {
        let f: Fixture
        let bare: String
        let buyer: String

        init(remoteURL: ((String) -> String)? = nil) throws {
            f = try Fixture()
            bare = f.dir.file("remote.git")
            #expect(try Tool.git(["init", "-q", "--bare", "-b", "main", bare], cwd: f.dir.path).code == 0)
            let url = remoteURL?(bare) ?? bare
            #expect(try Tool.git(["remote", "add", "origin", url], cwd: f.repo).code == 0)
            try expectOK(f.folio(["push"]))
            buyer = f.dir.file("buyer")
            try expectOK(Tool.run(Tool.folioPath, ["clone", url, buyer], cwd: f.dir.path))
        }

        @discardableResult
        func atBuyer(_ args: [String], as who: String = Fixture.buyer) throws -> RunResult {
            try Tool.run(Tool.folioPath, ["-C", buyer, "--as", who] + args, cwd: f.dir.path)
        }

        func tree(_ repo: String) throws -> String {
            try Tool.git(["rev-parse", "HEAD^{tree}"], cwd: repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @Test("the change-request loop played offline on both sides merges to one result on both clones")
    func offlineLoop() throws {
        let p = try TwoParties()
        // `folio clone` leaves the index built and current.
        let status = try p.atBuyer(["index", "status", "--json"])
        let index = try #require(JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any], "\(status.stderr)")
        #expect(index["state"] as? String == "ready" && index["upToDate"] as? Bool == true, "\(index)")
        let id = try p.f.draft()
        try expectOK(p.f.folio(["invoice", "send", id]))
        try expectOK(p.f.folio(["sync"]))
        try expectOK(p.atBuyer(["sync"]))
        // Offline on both sides at once.
        try expectOK(p.atBuyer(["invoice", "request-changes", id, "--note", "wrong quantity"]))
        try expectOK(p.f.folio(["invoice", "update", id, "--set", "/note=Thanks for your order"]))
        try expectOK(p.f.folio(["sync"]))
        let buyerSync = try p.atBuyer(["sync", "--json"])
        #expect(buyerSync.code == 0, "\(buyerSync.stderr)")
        let summary = try #require(JSONSerialization.jsonObject(with: Data(buyerSync.stdout.utf8)) as? [String: Any])
        #expect(summary["mergeCommit"] is String, "a merge commit was made")
        #expect(summary["pushed"] as? Bool == true)
        try expectOK(p.f.folio(["sync"]))
        #expect(try p.tree(p.f.repo) == p.tree(p.buyer), "both clones hold the same tree")
        let inv = try p.f.json(["invoice", "show", id])
        #expect(inv["status"] as? String == "changes_requested")
        #expect(inv["note"] as? String == "Thanks for your order", "the unsent edit is kept")
        #expect(inv["revision"] as? Int == 2)
        #expect(try Tool.git(["fsck", "--strict"], cwd: p.bare).code == 0)
        #expect(try p.f.folio(["validate"], as: nil).code == 0)
    }

    @Test("a concurrent edit of the same field is kept as a conflict record; resolve clears it as a commit")
    func conflictAndResolve() throws {
        let p = try TwoParties()
        let id = try p.f.draft()
        try expectOK(p.f.folio(["sync"]))
        try expectOK(p.atBuyer(["sync"]))
        try expectOK(p.atBuyer(["invoice", "update", id, "--set", "/note=from the second seller desk"], as: Fixture.seller))
        try expectOK(p.f.folio(["invoice", "update", id, "--set", "/note=from the first desk"]))
        try expectOK(p.atBuyer(["sync"], as: Fixture.seller))
        try expectOK(p.f.folio(["sync"]))
        let conflicts = try p.f.json(["conflicts"])
        let rows = try #require(conflicts["data"] as? [[String: Any]])
        #expect(rows.count == 1)
        #expect(rows.first?["path"] as? String == "/note")
        #expect(try p.f.folio(["validate"], as: nil).code == 1, "validate reports unresolved conflicts")
        let kept = try p.f.json(["invoice", "show", id])["note"] as? String
        let other = rows.first?["theirs"] as? String
        #expect(Set([kept, other]) == Set(["from the second seller desk", "from the first desk"]), "nothing lost")
        try expectOK(p.f.folio(["resolve", id, "--path", "/note", "--take", "theirs"]))
        #expect(try p.f.json(["invoice", "show", id])["note"] as? String == other)
        #expect(try #require(p.f.json(["conflicts"])["data"] as? [Any]).isEmpty)
        #expect(try Tool.git(["log", "-1", "--format=%s"], cwd: p.f.repo).stdout.hasPrefix("Resolve conflict on invoice"))
    }

    @Test("a plain git pull with the merge driver gives the same tree as folio sync")
    func gitPullEqualsFolioSync() throws {
        let p = try TwoParties()
        let a = try p.f.draft(items: "1")
        let b = try p.f.draft(items: "2")
        try expectOK(p.f.folio(["invoice", "send", a]))
        try expectOK(p.f.folio(["invoice", "send", b]))
        try expectOK(p.f.folio(["sync"]))
        try expectOK(p.atBuyer(["sync"]))
        // Diverge: the buyer answers both, the seller edits one and pays nothing yet.
        try expectOK(p.atBuyer(["invoice", "accept", a]))
        try expectOK(p.atBuyer(["invoice", "request-changes", b, "--note", "split the freight"]))
        try expectOK(p.f.folio(["invoice", "update", a, "--set", "/note=late seller edit"]))
        try expectOK(p.f.folio(["invoice", "update", b, "--set", "/terms=net 15"]))
        try expectOK(p.atBuyer(["push"]))
        // Two copies of the seller's clone: one merges with folio, one with plain git.
        let viaGit = p.f.dir.file("seller-git")
        #expect(try Tool.run("/bin/cp", ["-a", p.f.repo, viaGit]).code == 0)
        try expectOK(p.f.folio(["pull"]))
        let pull = try Tool.git(["-c", "pull.rebase=false", "-c", "user.email=\(Fixture.seller)", "-c", "user.name=Sam", "pull", "-q", "--no-edit", "origin", "main"], cwd: viaGit)
        #expect(pull.code == 0, "git pull: \(pull.stderr)")
        #expect(try p.tree(viaGit) == p.tree(p.f.repo), "plain git pull and folio pull agree")
        #expect(try Tool.git(["status", "--porcelain"], cwd: viaGit).stdout.isEmpty)
        let merged = try p.f.json(["invoice", "show", a])
        #expect(merged["status"] as? String == "accepted")
        #expect(merged["note"] == nil, "the edit concurrent with acceptance is not applied")
        #expect((merged["conflicts"] as? [[String: Any]])?.first?["theirs"] as? String == "late seller edit", "but kept as a conflict record")
    }

    @Test("criss-cross history (two merge bases): a plain git merge gives the same tree as folio pull")
    func crissCrossGitMergeEqualsFolioPull() throws {
        let p = try TwoParties()
        let id = try p.f.draft(items: "1")
        try expectOK(p.f.folio(["invoice", "send", id]))
        try expectOK(p.f.folio(["sync"]))
        try expectOK(p.atBuyer(["sync"]))
        func git(_ args: [String], in repo: String) throws -> String {
            let r = try Tool.git(["-c", "user.email=\(Fixture.seller)", "-c", "user.name=Sam"] + args, cwd: repo)
            #expect(r.code == 0, "git \(args): \(r.stderr)")
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        _ = try git(["remote", "add", "other", p.buyer], in: p.f.repo)
        _ = try git(["remote", "add", "other", p.f.repo], in: p.buyer)
        // Round one, concurrently: the same field on both clones (a seller works on the buyer's
        // clone too), and the buyer's answer.
        try expectOK(p.f.folio(["invoice", "update", id, "--set", "/note=first, from the office"]))
        try expectOK(p.atBuyer(["invoice", "request-changes", id, "--note", "freight is wrong"]))
        try expectOK(p.atBuyer(["invoice", "update", id, "--set", "/note=first, from the road"], as: Fixture.seller))
        // Criss-cross: each merges the other's round one. The buyer pulls from a snapshot of the
        // seller's clone taken before the seller merged, or it would fast-forward to that merge.
        let snapshot = p.f.dir.file("seller-round-one.git")
        _ = try git(["clone", "-q", "--bare", p.f.repo, snapshot], in: p.f.dir.path)
        _ = try git(["remote", "set-url", "other", snapshot], in: p.buyer)
        try expectOK(p.f.folio(["pull", "other"]))
        try expectOK(p.atBuyer(["pull", "other"], as: Fixture.seller))
        // Round two on both sides, then the merge that has two bases.
        try expectOK(p.f.folio(["invoice", "update", id, "--set", "/terms=net 10"]))
        try expectOK(p.atBuyer(["invoice", "update", id, "--set", "/note=second, from the road"], as: Fixture.seller))
        _ = try git(["fetch", "-q", "other"], in: p.f.repo)
        #expect(try git(["merge-base", "--all", "HEAD", "other/main"], in: p.f.repo).split(separator: "\n").count == 2, "a criss-cross")
        let viaGit = p.f.dir.file("seller-git")
        #expect(try Tool.run("/bin/cp", ["-a", p.f.repo, viaGit]).code == 0)
        try expectOK(p.f.folio(["pull", "other"]))
        let merge = try Tool.git(["-c", "user.email=\(Fixture.seller)", "-c", "user.name=Sam", "merge", "-q", "--no-edit", "other/main"], cwd: viaGit)
        #expect(merge.code == 0, "git merge: \(merge.stdout) \(merge.stderr)")
        #expect(try p.tree(viaGit) == p.tree(p.f.repo), "plain git merge and folio pull agree on a criss-cross")
        let merged = try p.f.json(["invoice", "show", id])
        #expect(merged["terms"] as? String == "net 10")
        #expect((merged["events"] as? [[String: Any]])?.contains { $0["type"] as? String == "changes_requested" } == true)
    }

    @Test("the same number issued on two clones is reported by the merge, and validate flags it")
    func duplicateNumbers() throws {
        let p = try TwoParties()
        // The seller also works on the buyer's clone, with the same series: offline, both
        // clones issue the next number of that series to a different invoice.
        let a = try p.f.draft(items: "1")
        let created = try p.atBuyer(["invoice", "create", "--order", "O-1", "--items", "2", "--json"], as: Fixture.seller)
        let b = try #require((JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])?["id"] as? String, "\(created.stderr)")
        try expectOK(p.f.folio(["invoice", "send", a]))
        try expectOK(p.atBuyer(["invoice", "send", b], as: Fixture.seller))
        let number = try #require(try p.f.json(["invoice", "show", a])["number"] as? String)
        try expectOK(p.f.folio(["sync"]))
        let sync = try p.atBuyer(["sync", "--json"], as: Fixture.seller)
        #expect(sync.code == 0, "\(sync.stderr)")
        let summary = try #require(JSONSerialization.jsonObject(with: Data(sync.stdout.utf8)) as? [String: Any])
        #expect((summary["duplicateNumbers"] as? [String: [String]])?[number] == [a, b].sorted(), "\(sync.stdout)")
        let log = try Tool.git(["log", "-1", "--format=%B"], cwd: p.buyer).stdout
        #expect(log.contains("duplicate number \(number)"), "\(log)")
        let validate = try p.atBuyer(["validate"])
        #expect(validate.code == 1 && (validate.stdout + validate.stderr).contains(number))
        // A merge in which no series moved on both sides reports none.
        try expectOK(p.f.folio(["sync"]))
        try expectOK(p.f.folio(["invoice", "update", a, "--set", "/note=later"]))
        try expectOK(p.atBuyer(["invoice", "accept", b]))
        try expectOK(p.f.folio(["sync"]))
        let quiet = try p.atBuyer(["sync", "--json"])
        let second = try #require(JSONSerialization.jsonObject(with: Data(quiet.stdout.utf8)) as? [String: Any])
        #expect(second["mergeCommit"] is String && (second["duplicateNumbers"] as? [String: Any])?.isEmpty == true, "\(quiet.stdout)")
    }

    @Test("a series belongs to one clone: a second clone is refused it and claims its own")
    func seriesClaims() throws {
        let p = try TwoParties()
        // The seller's first clone issues from its series and so claims it.
        let a = try p.f.draft(items: "1")
        let numberA = try #require(p.f.json(["invoice", "send", a])["number"] as? String)
        let prefix = String(numberA.prefix { $0 != "-" })
        try expectOK(p.f.folio(["sync"]))
        try expectOK(p.atBuyer(["sync"]))
        // The same seller on a second clone: refused, told what to do, nothing written.
        let created = try p.atBuyer(["invoice", "create", "--order", "O-1", "--items", "2", "--json"], as: Fixture.seller)
        let b = try #require((JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])?["id"] as? String, "\(created.stderr)")
        let head = try Tool.git(["rev-parse", "HEAD"], cwd: p.buyer).stdout
        let refused = try p.atBuyer(["invoice", "send", b], as: Fixture.seller)
        #expect(refused.code == 1 && refused.stderr.contains("belongs to another clone") && refused.stderr.contains("folio series claim"), "\(refused.stderr)")
        #expect(try Tool.git(["rev-parse", "HEAD"], cwd: p.buyer).stdout == head)
        let taken = try p.atBuyer(["series", "claim", prefix], as: Fixture.seller)
        #expect(taken.code == 1, "a claimed prefix is refused: \(taken.stderr)")
        try expectOK(p.atBuyer(["series", "claim", "DESK2"], as: Fixture.seller))
        let sent = try p.atBuyer(["invoice", "send", b, "--json"], as: Fixture.seller)
        #expect(sent.stdout.contains("\"number\": \"DESK2-00001\""), "\(sent.stdout) \(sent.stderr)")
        let list = try p.atBuyer(["series", "list"])
        #expect(list.stdout.contains("DESK2") && list.stdout.contains("this clone") && list.stdout.contains(prefix), "\(list.stdout)")
        try expectOK(p.atBuyer(["sync"]))
        try expectOK(p.f.folio(["sync"]))
        try expectOK(p.f.folio(["validate"]))
    }

    @Test("the documented repair for a number issued twice: reissue keeps every number and turns validate green")
    func reissueRepair() throws {
        let p = try TwoParties()
        // Two clones that both claimed the unclaimed series offline: the race claims cannot
        // prevent, so the merge reports it.
        let a = try p.f.draft(items: "1")
        let created = try p.atBuyer(["invoice", "create", "--order", "O-1", "--items", "2", "--json"], as: Fixture.seller)
        let b = try #require((JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])?["id"] as? String, "\(created.stderr)")
        try expectOK(p.f.folio(["invoice", "send", a]))
        try expectOK(p.atBuyer(["invoice", "send", b], as: Fixture.seller))
        try expectOK(p.f.folio(["invoice", "accept", a], as: Fixture.buyer))
        try expectOK(p.f.folio(["sync"]))
        try expectOK(p.atBuyer(["sync"], as: Fixture.seller))
        try expectOK(p.f.folio(["sync"]))
        let before = try p.f.folio(["validate"])
        #expect(before.code == 1 && before.stdout.contains("unique/number") && before.stdout.contains("folio invoice reissue"), "\(before.stdout)")
        let number = try #require(p.f.json(["invoice", "show", a])["number"] as? String)
        #expect(try p.f.json(["invoice", "show", b])["number"] as? String == number)
        // The earlier claim kept the series (same second here, so the smaller replica id): on
        // the clone that lost it, claim a series of its own first, as the refusal says.
        let series = try #require(p.f.json(["series", "list"])["data"] as? [[String: Any]])
        if series.first(where: { $0["thisClone"] as? Bool == true }) == nil {
            try expectOK(p.f.folio(["series", "claim", "FIX2"]))
        }
        // The accepted invoice stays accepted.
        let reissued = try p.f.json(["invoice", "reissue", a])
        let fresh = try #require(reissued["number"] as? String)
        #expect(fresh != number)
        #expect(reissued["voidedNumbers"] as? [String] == [number])
        #expect(reissued["status"] as? String == "accepted", "a number is not content")
        try expectOK(p.f.folio(["validate"]))
        let alone = try p.f.folio(["invoice", "reissue", b])
        #expect(alone.code == 1 && alone.stderr.contains("alone"), "\(alone.stderr)")
        try expectOK(p.f.folio(["sync"]))
        try expectOK(p.atBuyer(["sync"], as: Fixture.seller))
        #expect(try p.atBuyer(["validate"]).code == 0)
    }

    @Test("a void and a later send that raced the buyer's acceptance: the acceptance stands, a record names the race, resolve makes validate green")
    func racesWithAcceptance() throws {
        let p = try TwoParties()
        let voided = try p.f.draft(items: "1")
        let resent = try p.f.draft(items: "2")
        for id in [voided, resent] { try expectOK(p.f.folio(["invoice", "send", id])) }
        try expectOK(p.f.folio(["sync"]))
        try expectOK(p.atBuyer(["sync"]))
        // Offline at once: the buyer accepts both; the seller voids one, edits and resends the other.
        for id in [voided, resent] { try expectOK(p.atBuyer(["invoice", "accept", id])) }
        try expectOK(p.f.folio(["invoice", "void", voided, "--reason", "wrong order"]))
        try expectOK(p.f.folio(["invoice", "update", resent, "--set", "/note=revised"]))
        try expectOK(p.f.folio(["invoice", "send", resent]))
        try expectOK(p.atBuyer(["sync"]))
        try expectOK(p.f.folio(["sync"]))
        try expectOK(p.atBuyer(["sync"]))
        #expect(try p.tree(p.f.repo) == p.tree(p.buyer))
        for id in [voided, resent] {
            let doc = try p.f.json(["invoice", "show", id])
            #expect(doc["status"] as? String == "accepted", "\(id): the acceptance stands")
            let records = try #require(doc["conflicts"] as? [[String: Any]], "\(id) carries a record")
            #expect(records.contains { ($0["path"] as? String) == "/events" && (($0["reason"] as? String) ?? "").contains("concurrently with the acceptance") }, "\(records)")
        }
        let before = try p.f.folio(["validate"], as: nil)
        #expect(before.code == 1 && before.stdout.contains("conflicts/unresolved"), "the race is named: \(before.stdout)")
        #expect(!before.stdout.contains("status/revision"), "a send that raced the acceptance does not break the revision rule: \(before.stdout)")
        for id in [voided, resent] { try expectOK(p.f.folio(["resolve", id, "--path", "/events", "--take", "ours"])) }
        try expectOK(p.f.folio(["resolve", resent, "--path", "/note", "--take", "ours"]))   // the edit the acceptance outranked
        let after = try p.f.folio(["validate"], as: nil)
        #expect(after.code == 0, "resolving marks the order items invoiced again: \(after.stdout)")
        let order = try p.f.json(["order", "show", "O-1"])
        #expect((order["items"] as? [[String: Any]])?.first?["invoiceId"] as? String == voided)
    }

    @Test("sync over git:// served by git daemon; a hook's rejection is reported and nothing is lost")
    func gitDaemon() throws {
        let root = TempDir("folio-daemon")
        let daemon = try GitDaemon(base: root.path)
        defer { daemon.stop() }
        let p = try TwoParties { bare in
            let name = "shop.git"
            let served = root.file(name)
            try? FileManager.default.moveItem(atPath: bare, toPath: served)
            try? FileManager.default.createSymbolicLink(atPath: bare, withDestinationPath: served)
            return "git://127.0.0.1:\(daemon.port)/\(name)"
        }
        let id = try p.f.draft()
        try expectOK(p.f.folio(["invoice", "send", id]))
        try expectOK(p.f.folio(["sync"]))
        try expectOK(p.atBuyer(["sync"]))
        try expectOK(p.atBuyer(["invoice", "accept", id]))
        // The server refuses every push from now on.
        let hook = root.file("shop.git/hooks/pre-receive")
        FileManager.default.createFile(atPath: hook, contents: Data("#!/bin/sh\necho 'frozen for audit' >&2\nexit 1\n".utf8))
        #expect(chmod(hook, 0o755) == 0)
        let before = try Tool.git(["rev-parse", "HEAD"], cwd: p.buyer).stdout
        let refused = try p.atBuyer(["sync"])
        #expect(refused.code == 1, "exit 1 for a refused push: \(refused.stderr)")
        #expect(refused.stderr.contains("rejected"))
        #expect(try Tool.git(["rev-parse", "HEAD"], cwd: p.buyer).stdout == before, "the local commit is intact")
        try FileManager.default.removeItem(atPath: hook)
        try expectOK(p.atBuyer(["sync"]))
        try expectOK(p.f.folio(["sync"]))
        #expect(try p.f.json(["invoice", "show", id])["status"] as? String == "accepted")
    }

    @Test("several folio sync processes at once: every edit reaches the remote, every clone ends identical")
    func concurrentSyncs() throws {
        let p = try TwoParties()
        let ids = [try p.f.json(["invoice", "create", "--order", "O-1", "--items", "1"])["id"] as! String,
               try p.f.json(["invoice", "create", "--order", "O-1", "--items", "2"])["id"] as! String,
               try p.f.json(["invoice", "create", "--order", "O-1", "--items", "3"])["id"] as! String]
        try expectOK(p.f.folio(["sync"]))
        var clones: [String] = []
        for i in 0..<3 {
            let c = p.f.dir.file("desk\(i)")
            try expectOK(Tool.run(Tool.folioPath, ["clone", p.bare, c], cwd: p.f.dir.path))
            try expectOK(Tool.run(Tool.folioPath, ["-C", c, "--as", Fixture.seller, "invoice", "update", ids[i], "--set", "/note=desk \(i)"], cwd: p.f.dir.path))
            clones.append(c)
        }
        // All three sync at the same moment.
        let group = DispatchGroup()
        let results = ResultsBox()
        let cwd = p.f.dir.path
        for c in clones {
            group.enter()
            DispatchQueue.global().async {
                let r = try? Tool.run(Tool.folioPath, ["-C", c, "--as", Fixture.seller, "sync"], cwd: cwd)
                results.append(r?.code ?? -1)
                group.leave()
            }
        }
        group.wait()
        #expect(results.all.allSatisfy { $0 == 0 }, "every sync succeeded (retrying rejected pushes): \(results.all)")
        // Two sequential rounds: after the last clone's push, the first ones pull it.
        for _ in 0..<2 {
            for c in clones { try expectOK(Tool.run(Tool.folioPath, ["-C", c, "--as", Fixture.seller, "sync"], cwd: p.f.dir.path)) }
        }
        let trees = try Set(clones.map { try p.tree($0) })
        #expect(trees.count == 1)
        let log = try Tool.git(["log", "--format=%s", "main"], cwd: p.bare).stdout
        for i in 0..<3 { #expect(log.contains("Edit invoice") && log.components(separatedBy: "/note").count >= 4, "edit \(i) reached the remote") }
        for (i, id) in ids.enumerated() {
            let r = try Tool.run(Tool.folioPath, ["-C", clones[0], "invoice", "show", id, "--json"], cwd: p.f.dir.path)
            #expect(r.stdout.contains("\"note\": \"desk \(i)\""))
        }
    }

    @Test("eight clones syncing at once through git daemon, by URL or by remote name: every sync lands, nothing is lost")
    func contendedSyncsThroughDaemon() throws {
        let root = TempDir("folio-daemon")
        let daemon = try GitDaemon(base: root.path)
        defer { daemon.stop() }
        let url = "git://127.0.0.1:\(daemon.port)/shop.git"
        let p = try TwoParties { bare in
            let served = root.file("shop.git")
            try? FileManager.default.moveItem(atPath: bare, toPath: served)
            try? FileManager.default.createSymbolicLink(atPath: bare, withDestinationPath: served)
            return url
        }
        let id = try p.f.draft()
        try expectOK(p.f.folio(["invoice", "send", id]))
        try expectOK(p.f.folio(["sync"]))
        let cwd = p.f.dir.path
        let clones = try (0..<8).map { i -> String in
            let c = p.f.dir.file("desk\(i)")
            try expectOK(Tool.run(Tool.folioPath, ["clone", url, c], cwd: cwd))
            return c
        }
        let rounds = 3
        for round in 0..<rounds {
            for (i, c) in clones.enumerated() {
                try expectOK(Tool.run(Tool.folioPath, ["-C", c, "--as", Fixture.seller, "invoice", "pay", id, "--amount", "0.01", "--reference", "c\(i)-r\(round)"], cwd: cwd))
            }
            let running = try clones.enumerated().map { i, c in
                // Half name the remote, half give its URL (SPEC §5: REMOTE may be a URL).
                try Tool.start(Tool.folioPath, ["-C", c, "--as", Fixture.seller, "sync"] + (i % 2 == 0 ? [url] : []), cwd: cwd)
            }
            let results = running.map { $0.wait(timeout: 300) }
            for (i, r) in results.enumerated() { #expect(r.code == 0, "round \(round), clone \(i): exit \(r.code) \(r.stderr)") }
        }
        for _ in 0..<2 { for c in clones { try expectOK(Tool.run(Tool.folioPath, ["-C", c, "--as", Fixture.seller, "sync"], cwd: cwd)) } }
        #expect(try Set(clones.map { try p.tree($0) }).count == 1, "every clone holds the same tree")
        let doc = try Tool.run(Tool.folioPath, ["-C", clones[0], "invoice", "show", id, "--json"], cwd: cwd)
        let payments = try #require((JSONSerialization.jsonObject(with: Data(doc.stdout.utf8)) as? [String: Any])?["payments"] as? [[String: Any]])
        #expect(Set(payments.compactMap { $0["reference"] as? String }).count == clones.count * rounds, "every payment arrived")
        #expect(try Tool.git(["fsck", "--strict"], cwd: root.file("shop.git")).code == 0)
    }

    @Test("on a branch other than main, sync and push refuse instead of claiming to push")
    func otherBranch() throws {
        let p = try TwoParties()
        let remoteMain = try Tool.git(["rev-parse", "main"], cwd: p.bare).stdout
        #expect(try Tool.git(["checkout", "-q", "-b", "feature"], cwd: p.f.repo).code == 0)
        let id = try p.f.draft()
        for command in [["push"], ["sync"], ["pull"]] {
            let r = try p.f.folio(command)
            #expect(r.code == 1, "\(command): \(r.code) \(r.stdout) \(r.stderr)")
            #expect(r.stderr.contains("branch main") && r.stderr.contains("feature"), "\(r.stderr)")
            #expect(!r.stdout.contains("pushed"))
        }
        #expect(try Tool.git(["rev-parse", "main"], cwd: p.bare).stdout == remoteMain, "the remote is unchanged")
        // Back on main with the branch merged, the commit goes out.
        #expect(try Tool.git(["checkout", "-q", "main"], cwd: p.f.repo).code == 0)
        #expect(try Tool.git(["merge", "-q", "--ff-only", "feature"], cwd: p.f.repo).code == 0)
        try expectOK(p.f.folio(["sync"]))
        #expect(try Tool.git(["rev-parse", "main"], cwd: p.bare).stdout != remoteMain)
        #expect(try p.tree(p.f.repo) == p.tree(p.bare))
        _ = id
    }

    @Test("bad remotes and unreadable documents: clear message, right exit code, local data intact")
    func badInput() throws {
        let p = try TwoParties()
        let missing = try p.f.folio(["sync", "nowhere"])
        #expect(missing.code == 2 && missing.stderr.contains("nowhere"))
        #expect(try Tool.git(["remote", "add", "gone", p.f.dir.file("does-not-exist.git")], cwd: p.f.repo).code == 0)
        let gone = try p.f.folio(["sync", "gone"])
        #expect(gone.code == 2, "I/O error: \(gone.stderr)")
        // A document broken by hand on the buyer's side, changed on the seller's side too.
        let id = try p.f.draft()
        try expectOK(p.f.folio(["sync"]))
        try expectOK(p.atBuyer(["sync"]))
        let file = try Tool.git(["ls-files", "invoices"], cwd: p.buyer).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try "{ not json".write(toFile: p.buyer + "/" + file, atomically: true, encoding: .utf8)
        #expect(try Tool.git(["-c", "user.email=x@y.z", "-c", "user.name=x", "commit", "-qam", "oops"], cwd: p.buyer).code == 0)
        try expectOK(p.f.folio(["invoice", "update", id, "--set", "/note=seller"]))
        try expectOK(p.f.folio(["sync"]))
        let head = try Tool.git(["rev-parse", "HEAD"], cwd: p.buyer).stdout
        let r = try p.atBuyer(["sync"])
        #expect(r.code == 1)
        #expect(r.stderr.contains(file), "names the file: \(r.stderr)")
        #expect(try Tool.git(["rev-parse", "HEAD"], cwd: p.buyer).stdout == head, "nothing written")
        #expect(try String(contentsOfFile: p.buyer + "/" + file, encoding: .utf8) == "{ not json")
        // Conflict markers committed by hand: the same, and the message says what they are.
        let markers = "{\n<<<<<<< HEAD\n  \"note\": \"a\"\n=======\n  \"note\": \"b\"\n>>>>>>> theirs\n}\n"
        try markers.write(toFile: p.buyer + "/" + file, atomically: true, encoding: .utf8)
        #expect(try Tool.git(["-c", "user.email=x@y.z", "-c", "user.name=x", "commit", "-qam", "markers"], cwd: p.buyer).code == 0)
        let markedHead = try Tool.git(["rev-parse", "HEAD"], cwd: p.buyer).stdout
        let m = try p.atBuyer(["sync"])
        #expect(m.code == 1)
        #expect(m.stderr.contains(file) && m.stderr.contains("conflict marker"), "\(m.stderr)")
        #expect(try Tool.git(["rev-parse", "HEAD"], cwd: p.buyer).stdout == markedHead, "nothing written")
        #expect(try String(contentsOfFile: p.buyer + "/" + file, encoding: .utf8) == markers)
        // The clone is still usable: validate names the file, and other commands work.
        let v = try p.atBuyer(["validate"])
        #expect(v.code == 1 && (v.stdout + v.stderr).contains(file))
        try expectOK(p.atBuyer(["list"]))
    }
}

final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int32] = []
    func append(_ v: Int32) { lock.lock(); values.append(v); lock.unlock() }
    var all: [Int32] { lock.lock(); defer { lock.unlock() }; return values }
}

/// A real `git daemon` on 127.0.0.1 and a free port, stopped by its PID.
final class GitDaemon {
    let process = Process()
    let port: Int

    init(base: String) throws {
        port = Loopback.freePort()
        // The daemon itself, not the `git daemon` wrapper: SIGTERM must reach the process that listens.
        let execPath = (try? Tool.git(["--exec-path"], cwd: "/").stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? "/usr/lib/git-core"
        process.executableURL = URL(fileURLWithPath: execPath + "/git-daemon")
        process.arguments = ["--reuseaddr", "--base-path=\(base)", "--export-all", "--enable=receive-pack",
                             "--listen=127.0.0.1", "--port=\(port)", base]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready when the port accepts a connection.
        for _ in 0..<100 {
            if GitDaemon.canConnect(port) { return }
            usleep(50_000)
        }
        stop()
        throw CancellationError()
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<40 where process.isRunning { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }
}
