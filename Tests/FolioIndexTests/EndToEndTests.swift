import Foundation
import GRDB
import Testing
@testable import FolioGit
import FolioModel
import FolioRepo
@testable import FolioIndex

/// Through the built binary, as users and scripts meet the index: crashes in the middle of
/// an update, damaged or outdated files, malformed documents, bad arguments.
@Suite(.serialized) struct EndToEndTests {
    let dir = TempDir("folio-e2e")
    let path: String

    init() throws {
        path = try Fixture.generated(dir, invoices: 400, seed: 31, checkout: false)
    }

    var indexPath: String { path + "/.git/folio/index.sqlite" }

    func folio(_ args: [String], env: [String: String] = [:]) throws -> RunResult {
        try Tool.run(Tool.folioPath, ["-C", path] + args, env: fixedClock.merging(env) { $1 })
    }

    func json(_ args: [String], env: [String: String] = [:]) throws -> (value: [String: Any], stderr: String) {
        let r = try folio(args + ["--json"], env: env)
        try #require(r.code == 0, "folio \(args): exit \(r.code): \(r.stderr)")
        return (try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]), "\(r.stderr)")
    }

    /// `folio list --json` for these filters must be what InvoiceQuery gives on the documents
    /// of HEAD (the ids in order, and the total).
    func expectListCorrect(_ filters: [String] = [], _ query: InvoiceQuery = InvoiceQuery(), env: [String: String] = [:],
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        var q = query
        q.limit = 1000
        let (out, _) = try json(["list"] + filters + ["--limit", "1000"], env: env)
        let (invoices, _) = try Fixture.reference(try GitRepository.open(at: path))
        let expected = q.run(invoices)
        let rows = try #require(out["data"] as? [[String: Any]])
        let total = ((out["meta"] as? [String: Any])?["pagination"] as? [String: Any])?["totalCount"] as? Int
        #expect(rows.compactMap { $0["id"] as? String } == expected.page.map(\.id), sourceLocation: sourceLocation)
        #expect(total == expected.totalCount, sourceLocation: sourceLocation)
    }

    func recordedCommit() throws -> String? {
        let (status, _) = try json(["index", "status"])
        return status["commit"] as? String
    }

    /// A commit that changes `count` invoices (their notes) without a working tree.
    @discardableResult
    func commitChanges(_ count: Int, tag: String) throws -> GitOID {
        let git = try GitRepository.open(at: path)
        var changes: [String: Data?] = [:]
        for k in 0..<count {
            let id = String(format: "inv-%07d", 10 + k * 7)
            var inv = try Fixture.invoice(git, id)
            inv.purchaseOrderNumber = "PO-\(tag)-\(k)"
            changes[DocumentPaths.path(.invoice, id: id)] = DocumentCodec.encode(inv)
        }
        return try Fixture.commit(git, changes, message: "change \(count) invoices (\(tag))")
    }

    // MARK: Crashes

    @Test func crashDuringTheFirstBuildLeavesNoIndexAndTheNextReadBuildsIt() throws {
        let r = try folio(["list"], env: ["FOLIO_INDEX_TEST_CRASH": "rebuild:insert:300"])
        #expect(r.killed, "exit \(r.code)")
        #expect(!FileManager.default.fileExists(atPath: indexPath))
        try expectListCorrect()
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: path + "/.git/folio").filter { $0.contains(".new-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func crashBeforeARebuildIsRenamedKeepsTheOldIndex() throws {
        try expectListCorrect()
        let old = try recordedCommit()
        try commitChanges(5, tag: "R")
        let r = try folio(["index", "rebuild"], env: ["FOLIO_INDEX_TEST_CRASH": "rebuild:rename"])
        #expect(r.killed)
        let (status, _) = try json(["index", "status"])
        #expect(status["commit"] as? String == old)
        #expect(status["pendingFiles"] as? Int == 5)
        try expectListCorrect(["--q", "PO-R-"], { var q = InvoiceQuery(); q.q = "PO-R-"; return q }())
        #expect(try recordedCommit() == (try GitRepository.open(at: path).headCommit())?.hex)
    }

    @Test(arguments: ["update:removed", "update:insert:3", "update:commit"])
    func crashDuringAnUpdateLeavesTheOldState(point: String) throws {
        try expectListCorrect()
        let old = try recordedCommit()
        let head = try commitChanges(6, tag: "U")
        let r = try folio(["list"], env: ["FOLIO_INDEX_TEST_CRASH": point])
        #expect(r.killed, "\(point): exit \(r.code) \(r.stderr)")
        #expect(try recordedCommit() == old, "\(point): the old state")
        try expectListCorrect(["--q", "po-u-"], { var q = InvoiceQuery(); q.q = "po-u-"; return q }())
        #expect(try recordedCommit() == head.hex)
        let git = try GitRepository.open(at: path)
        let updated = try RepositoryIndex.open(git).dump()
        #expect(updated == (try RepositoryIndex.open(git, options: .init(forceRebuild: true)).dump()))
    }

    @Test func killedFromOutsideInTheMiddleOfARebuild() throws {
        try expectListCorrect()
        var rng = SplitMix(state: 77)
        for round in 0..<3 {
            try commitChanges(3, tag: "K\(round)")
            // 2 ms per document: the rebuild of ~800 documents takes over a second.
            let running = try Tool.start(Tool.folioPath, ["-C", path, "index", "rebuild"], env: fixedClock.merging(["FOLIO_INDEX_TEST_SLOW": "2"]) { $1 })
            usleep(UInt32(200_000 + rng.int(700_000)))
            running.kill()
            let r = running.wait()
            #expect(r.killed, "round \(round): exit \(r.code) \(r.stderr)")
            try expectListCorrect(["--status", "accepted", "--sort-by", "due-date"], { var q = InvoiceQuery(); q.statuses = [.accepted]; q.sortBy = .dueDate; return q }())
        }
    }

    @Test func concurrentReadersUpdateOnceAndAgree() throws {
        try expectListCorrect()
        try commitChanges(8, tag: "C")
        let runs = try (0..<4).map { _ in try Tool.start(Tool.folioPath, ["-C", path, "list", "--json", "--limit", "1000", "--sort-by", "invoice-number"], env: fixedClock) }
        let results = runs.map { $0.wait() }
        #expect(results.allSatisfy { $0.code == 0 }, "\(results.map(\.stderr))")
        #expect(Set(results.map(\.stdout)).count == 1)
        try expectListCorrect(["--sort-by", "invoiceNumber"], { var q = InvoiceQuery(); q.sortBy = .invoiceNumber; return q }())
    }

    // MARK: Damaged, outdated, deleted

    @Test func garbageInTheIndexFileIsRebuiltWithAMessage() throws {
        try expectListCorrect()
        try Data(repeating: 0x42, count: 10_000).write(to: URL(fileURLWithPath: indexPath))
        let r = try folio(["list", "--limit", "3"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stderr.contains("is unreadable") && r.stderr.contains("rebuilding"), "\(r.stderr)")
        try expectListCorrect()
    }

    @Test func zeroedPagesAreRebuiltWithAMessage() throws {
        try expectListCorrect()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: indexPath))
        bytes.replaceSubrange(4096..<bytes.count, with: Data(repeating: 0, count: bytes.count - 4096))
        try bytes.write(to: URL(fileURLWithPath: indexPath))
        let r = try folio(["list", "--status", "draft", "--json"])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stderr.contains("rebuilding"), "\(r.stderr)")
        try expectListCorrect(["--status", "draft"], { var q = InvoiceQuery(); q.statuses = [.draft]; return q }())
    }

    /// One table's root page overwritten: the file opens, and the damage shows only when a
    /// query reaches that table, after the index is open and locked. Every reader must then
    /// rebuild once and answer (not wait for its own lock, nor fail with exit 2), and
    /// `index status` must report the damage without changing anything.
    @Test(arguments: ["invoices", "problems", "parties", "orders", "order_open_items"])
    func aDamagedTableIsRebuiltWhicheverCommandMeetsIt(table: String) throws {
        try expectListCorrect()
        let queue = try RepositoryIndex.openQueue(indexPath)
        let (root, pageSize) = try queue.read { db in
            (try Int.fetchOne(db, sql: "SELECT rootpage FROM sqlite_master WHERE name = ?", arguments: [table])!,
             try Int.fetchOne(db, sql: "PRAGMA page_size")!)
        }
        try queue.close()
        var damaged = try Data(contentsOf: URL(fileURLWithPath: indexPath))
        damaged.replaceSubrange((root - 1) * pageSize..<root * pageSize, with: Data(repeating: 0xA5, count: pageSize))

        try damaged.write(to: URL(fileURLWithPath: indexPath))
        let status = try Tool.start(Tool.folioPath, ["-C", path, "index", "status", "--json"], env: fixedClock).wait(timeout: 60)
        #expect(status.code == 0, "index status on a damaged \(table): \(status.code) \(status.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: indexPath)) == damaged, "index status changed the file")

        let commands = [["list", "--json"], ["list", "orders", "--open-items", "--json"], ["--as", "ana@seller.example", "inbox", "--json"],
                        ["--as", "buyer1@c1.example", "list", "--json"]]
        try FileManager.default.removeItem(atPath: indexPath)
        let intact = try commands.map { try folio($0).stdout }
        var rebuilt = 0
        for (command, expected) in zip(commands, intact) {
            try damaged.write(to: URL(fileURLWithPath: indexPath))
            let r = try Tool.start(Tool.folioPath, ["-C", path] + command, env: fixedClock).wait(timeout: 60)
            #expect(r.code == 0, "\(command) on a damaged \(table): exit \(r.code): \(r.stderr)")
            #expect(r.stdout == expected, "\(command) on a damaged \(table) answered differently")
            if r.stderr.contains("is damaged") && r.stderr.contains("rebuilding") { rebuilt += 1 }
        }
        #expect(rebuilt > 0, "no command noticed the damaged \(table)")
    }

    @Test func anIndexOfAnotherSchemaVersionIsRebuilt() throws {
        try expectListCorrect()
        let queue = try RepositoryIndex.openQueue(indexPath)
        try queue.write { try $0.execute(sql: "UPDATE meta SET value = '0' WHERE key = 'schema'") }
        try queue.close()
        let r = try folio(["list", "--limit", "1"])
        #expect(r.code == 0)
        #expect(r.stderr.contains("has schema version 0, this folio uses \(IndexSchema.version); rebuilding"), "\(r.stderr)")
        try expectListCorrect()
    }

    @Test func statusReportsWithoutChangingAnything() throws {
        var (status, _) = try json(["index", "status"])
        #expect(status["state"] as? String == "missing")
        #expect(!FileManager.default.fileExists(atPath: indexPath))
        try expectListCorrect()
        (status, _) = try json(["index", "status"])
        #expect(status["upToDate"] as? Bool == true)
        #expect((status["counts"] as? [String: Any])?["invoices"] as? Int == 400)
        try commitChanges(2, tag: "S")
        (status, _) = try json(["index", "status"])
        #expect(status["upToDate"] as? Bool == false)
        #expect(status["pendingFiles"] as? Int == 2)
        let text = try folio(["index", "status"])
        #expect(text.stdout.contains("2 document(s) behind"), "\(text.stdout)")
        let (rebuilt, _) = try json(["index", "rebuild"])
        #expect(rebuilt["invoices"] as? Int == 400)
    }

    // MARK: Bad input

    @Test func malformedDocumentsAreReportedWithTheirPathAndSkipped() throws {
        let git = try GitRepository.open(at: path)
        try Fixture.commit(git, try Fixture.edgeChanges(git), message: "edge cases and bad documents")
        let r = try folio(["list", "--json", "--limit", "1000"])
        #expect(r.code == 0, "\(r.stderr)")
        let badType = DocumentPaths.path(.invoice, id: "bad-type")
        #expect(r.stderr.contains("warning: skipped \(badType)#/lines/0/unitPrice: error[schema/type]"), "\(r.stderr)")
        #expect(r.stderr.contains("warning: skipped \(DocumentPaths.path(.invoice, id: "bad-syntax"))"), "\(r.stderr)")
        #expect(r.stderr.contains("warning: skipped invoices/00/00/misplaced-copy.json#/id: error[path/mismatch]"), "\(r.stderr)")
        #expect(!r.stdout.contains("bad-type") && !r.stdout.contains("misplaced"))
        try expectListCorrect()
        try expectListCorrect(["--customer-name", "café"], { var q = InvoiceQuery(); q.customerName = "café"; return q }())
        try expectListCorrect(["--q", "\u{C9}X", "--search-by", "external-customer-id"],
                              { var q = InvoiceQuery(); q.q = "\u{C9}X"; q.searchBy = .externalCustomerId; return q }())
        let status = try folio(["index", "status"])
        #expect(status.stdout.contains("skipped   3"), "\(status.stdout)")
    }

    @Test(arguments: [
        ["list", "--status", "bogus"], ["list", "--sort-by", "colour"], ["list", "--order-by", "sideways"], ["list", "--payment-status", "7"],
        ["list", "--search-by", "colour", "--q", "x"], ["list", "--issued-from", "2025-13-01"], ["list", "--limit", "5000"], ["list", "--offset", "-1"],
        ["list", "widgets"], ["list", "orders"], ["list", "orders", "--open-items", "--status", "draft"], ["list", "--open-items"], ["list", "--frobnicate"],
        ["index", "explode"],
    ])
    func unknownFilterValuesAreUsageErrors(args: [String]) throws {
        let r = try folio(args)
        #expect(r.code == 2, "\(args): exit \(r.code)")
        #expect(r.stdout.isEmpty)
        #expect(!r.stderr.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: indexPath) || args.first == "index", "a usage error touches nothing")
    }

    @Test func theIndexAndTheScanPrintTheSameBytes() throws {
        let cases: [[String]] = [
            [], ["--status", "accepted", "--sort-by", "due-date", "--limit", "20"], ["--customer-id", "C00042"], ["--overdue", "--limit", "20"],
            ["--q", "PO-1"], ["--q", "00", "--search-by", "invoiceNumber", "--order-by", "desc"], ["--product-id", "P-104,P-105", "--sort-by", "openBalance"],
            ["--payment-status", "1", "--payment-status", "open", "--sort-by", "originalBalance", "--offset", "7"],
            ["--customer-name", "acme", "--channel", "WEB", "--type", "Invoice"], ["--number", "12"], ["--issued-from", "2025-03-01", "--issued-to", "2025-04-01"],
            ["--created-from", "2025-06-01", "--due-to", "2025-09-30", "--sort-by", "updatedAt"], ["--status", "draft", "--sort-by", "isPendingPayment"],
            ["--external-id", "500010,500020", "--id", "inv-0000010"], ["--sort-by", "status", "--order-by", "DESC", "--limit", "0"],
        ]
        for args in cases {
            for format in [["--json"], []] {
                let indexed = try folio(["list"] + args + format)
                let scanned = try folio(["list", "--no-index"] + args + format)
                #expect(indexed.code == 0 && scanned.code == 0, "\(args): \(indexed.stderr) \(scanned.stderr)")
                #expect(indexed.stdout == scanned.stdout, "\(args + format)")
                #expect(indexed.stderr == scanned.stderr, "\(args + format)")
            }
        }
        let buyer = try folio(["--as", "buyer3@c3.example", "list", "--json"])
        #expect(buyer.stdout == (try folio(["--as", "buyer3@c3.example", "list", "--no-index", "--json"])).stdout)
    }

    // MARK: Other lists

    @Test func openItemsAndInboxComeFromTheIndex() throws {
        let (out, _) = try json(["list", "orders", "--open-items", "--limit", "1000"])
        let rows = try #require(out["data"] as? [[String: Any]])
        let orders = try FolioRepository.open(path).snapshot().orders().filter { !$0.openItems.isEmpty }
        #expect(rows.count == orders.count)
        #expect(Set(rows.compactMap { $0["id"] as? String }) == Set(orders.map(\.id)))
        let first = try #require(rows.first)
        #expect((first["openItems"] as? [[String: Any]])?.isEmpty == false)
        #expect(((out["meta"] as? [String: Any])?["pagination"] as? [String: Any])?["totalCount"] as? Int == orders.count)

        let (inbox, _) = try json(["--as", "buyer1@c1.example", "inbox"])
        let waiting = try #require(inbox["data"] as? [[String: Any]])
        #expect(waiting.allSatisfy { ($0["customer"] as? [String: Any])?["id"] as? String == "C00001" && $0["status"] as? String == "pending_approval" })
        let (list, _) = try json(["--as", "buyer1@c1.example", "list", "--limit", "1000"])
        #expect((list["data"] as? [[String: Any]])?.allSatisfy { ($0["customer"] as? [String: Any])?["id"] as? String == "C00001" } == true)
        let stranger = try folio(["--as", "nobody@nowhere.example", "inbox"])
        #expect(stranger.code == 1, "\(stranger.stderr)")
    }
}

/// `folio list` answers from a current index without libgit2 (PlainGit): it must answer
/// exactly as the ordinary path in every layout, and step aside when unsure.
@Suite(.serialized) struct ShortcutTests {
    let dir = TempDir("folio-shortcut")
    let path: String

    init() throws {
        path = try Fixture.generated(dir, invoices: 200, seed: 41, checkout: true)
    }

    func list(_ args: [String], shortcut: Bool, cwd: String? = nil, env: [String: String] = [:]) throws -> RunResult {
        var e = fixedClock.merging(env) { $1 }
        e["FOLIO_INDEX_TIMING"] = "1"
        if !shortcut { e["FOLIO_INDEX_NO_SHORTCUT"] = "1" }
        return try Tool.run(Tool.folioPath, (cwd == nil ? ["-C", path] : []) + ["list"] + args, cwd: cwd, env: e)
    }

    /// Same output both ways; returns whether the shortcut was taken.
    @discardableResult
    func expectSame(_ args: [String] = ["--json", "--limit", "500"], cwd: String? = nil, env: [String: String] = [:],
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> Bool {
        let fast = try list(args, shortcut: true, cwd: cwd, env: env)
        let ordinary = try list(args, shortcut: false, cwd: cwd, env: env)
        #expect(ordinary.code == 0 && fast.code == 0, "\(ordinary.stderr) \(fast.stderr)", sourceLocation: sourceLocation)
        #expect(fast.stdout == ordinary.stdout, sourceLocation: sourceLocation)
        return fast.stderr.contains("without libgit2")
    }

    func git(_ args: String..., cwd: String? = nil) throws {
        let r = try Tool.git(args, cwd: cwd ?? path)
        #expect(r.code == 0, "git \(args): \(r.stderr)")
    }

    @Test func answersAsTheOrdinaryPathInEveryLayout() throws {
        #expect(try expectSame() == false, "the first read builds the index")
        #expect(try expectSame(), "loose ref")
        #expect(try expectSame(cwd: path + "/invoices"), "from a subfolder")
        try git("pack-refs", "--all")
        #expect(try expectSame(["--status", "draft", "--json"]), "packed ref")
        try git("checkout", "-q", "--detach", "HEAD~1")
        #expect(try expectSame() == false, "a moved HEAD is updated by the ordinary path")
        #expect(try expectSame(), "detached HEAD")
        try git("checkout", "-q", "main")
        #expect(try expectSame() == false, "back on main: updated")

        // Identity from git config: a buyer sees their customer's invoices only.
        try git("config", "user.email", "buyer3@c3.example")
        #expect(try expectSame())
        let mine = try list(["--json"], shortcut: true)
        #expect(mine.stdout.contains("\"C00003\"") && !mine.stdout.contains("\"C00004\""))
        #expect(try expectSame(env: ["FOLIO_USER": "buyer4@c4.example"]))
        #expect(try expectSame(env: ["FOLIO_USER": "stranger@example.org"]))

        // Unsure: step aside.
        try git("config", "include.path", "/dev/null")
        #expect(try expectSame() == false, "config include")
        try git("config", "--unset", "include.path")
        try git("config", "user.email", "\"buyer3@c3.example\"")
        #expect(try expectSame() == false, "a quoted value")
        try git("config", "--unset", "user.email")
        #expect(try expectSame(env: ["GIT_DIR": path + "/.git"]) == false, "GIT_DIR")
        #expect(try expectSame())

        // A linked worktree has its own HEAD and index, and goes the ordinary way.
        try git("worktree", "add", "-q", "--detach", dir.file("wt"), "HEAD~1")
        #expect(try expectSame(cwd: dir.file("wt")) == false)
        #expect(try expectSame(cwd: dir.file("wt")) == false)
    }

    @Test func headAndConfigAsGitReadsThem() throws {
        let gitDir = try #require(PlainGit.gitDir(from: path + "/orders", environment: [:]))
        #expect(gitDir == path + "/.git")
        func expectHead() throws {
            let rev = try Tool.git(["rev-parse", "HEAD"], cwd: path).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(PlainGit.head(gitDir: gitDir) == rev)
        }
        try expectHead()
        try git("pack-refs", "--all")
        try expectHead()
        try git("checkout", "-q", "-b", "feature/x")
        try expectHead()
        try git("checkout", "-q", "--detach", "HEAD~1")
        try expectHead()
        try git("checkout", "-q", "--orphan", "empty")
        #expect(PlainGit.head(gitDir: gitDir) == nil, "unborn branch")

        #expect(PlainGit.scan("[user]\n\temail = a@b.c\n") == .value("a@b.c"))
        #expect(PlainGit.scan("[User]\nEMAIL=a@b.c\n[user]\n  email = d@e.f  \n") == .value("d@e.f"))
        #expect(PlainGit.scan("[user \"x\"]\n\temail = a@b.c\n[core]\nemail = z@z.z\n") == .value(nil))
        #expect(PlainGit.scan("[user] email = a@b.c\n") == .value("a@b.c"))
        #expect(PlainGit.scan("[user]\n\temail = \"a@b.c\"\n") == .unsure)
        #expect(PlainGit.scan("[user]\n\temail = a@b.c # work\n") == .unsure)
        #expect(PlainGit.scan("[includeIf \"gitdir:~/w/\"]\n\tpath = w.inc\n") == .unsure)
        #expect(PlainGit.gitDir(from: path, environment: ["GIT_DIR": "x"]) == nil)
        #expect(PlainGit.scan("[user]\n=\n\temail = a@b.c\n") == .unsure, "a line without a name is git's error, not ours to read")
        #expect(PlainGit.scanCharacters("[user]\n=email=x\n") == .unsure)
        #expect(PlainGit.scan("\u{FEFF}[user]\n\temail = a@b.c\n") == .unsure, "a byte-order mark is libgit2's to skip")
    }

    /// The byte-level reader of ASCII config files answers as the Character-level one, on
    /// configs built from the pieces where the two could part: case, blanks, "\r", "=",
    /// comments, quotes, other sections.
    @Test func asciiConfigScanAgreesWithTheCharacterScan() throws {
        let pieces = ["[user]", "[User ]", "[ user]", "[core]", "[user \"x\"]", "[user] email = h@i.j", "email = a@b.c", "EMAIL=d@e.f",
                      "\temail =  g@h.i  ", "email", "email=", "email = ", "=", "=email", "email = x # c", "email = \"q\"", "; c", "# c",
                      "name = N", "  ", "[user", "email = a=b", "\r", "email = e@f.g\r", "[include]", "path = x", "=email=x", " = y"]
        var rng = SplitMix(state: 0xC0F1)
        for _ in 0..<4_000 {
            let lines = (0..<(1 + rng.int(6))).map { _ in pieces[rng.int(pieces.count)] }
            let text = lines.joined(separator: rng.chance(20) ? "\r\n" : "\n") + (rng.chance(50) ? "\n" : "")
            #expect(PlainGit.scanASCII(Array(text.utf8)) == PlainGit.scanCharacters(text), "\(text.debugDescription)")
        }
    }

    /// The start path is resolved as git resolves it after chdir(2): through symbolic links,
    /// then "..". Here `a/shared` links into repository b, so `a/shared/..` is b's folder.
    @Test func theStartPathIsResolvedAsGitResolvesIt() throws {
        let dir = TempDir("folio-realpath")
        for repo in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: dir.file(repo + "/sub"), withIntermediateDirectories: true)
            _ = try Tool.git(["init", "-q", dir.file(repo)], cwd: dir.path)
        }
        try FileManager.default.createSymbolicLink(atPath: dir.file("a/shared"), withDestinationPath: dir.file("b/sub"))
        for start in ["a/shared/..", "a/shared", "a/sub/..", "a/./sub/../sub", "b/sub"] {
            let git = try Tool.git(["rev-parse", "--absolute-git-dir"], cwd: dir.file(start)).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(PlainGit.gitDir(from: dir.file(start), environment: [:]) == git, "\(start)")
        }
        #expect(PlainGit.gitDir(from: dir.file("a/missing/.."), environment: [:]) == nil, "a path that does not exist is libgit2's to report")
        #expect(PlainGit.parent("/a/b") == "/a")
        #expect(PlainGit.parent("/a") == "/")
    }
}
