import Foundation
import Testing
@testable import FolioGit

@Suite("GitRepository against plain git")
struct GitRepositoryTests {
    /// Ids are held as bytes: the hex a user reads, the order and the bytes handed to libgit2
    /// must be those of the 40 digits, for ids that differ in any byte.
    @Test func objectIDsKeepTheirDigitsAndTheirOrder() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func nextByte() -> UInt8 { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return UInt8(truncatingIfNeeded: state >> 56) }
        var ids: [(hex: String, oid: GitOID)] = []
        for round in 0..<400 {
            var bytes = (0..<20).map { _ in nextByte() }
            if round % 4 == 0 { bytes = (0..<20).map { $0 == round % 20 ? bytes[$0] : 0 } }   // one byte set: every position, every word
            let hex = bytes.map { String(format: "%02x", $0) }.joined()
            let oid = try #require(GitOID(hex: hex.uppercased()))
            #expect(oid.hex == hex)
            #expect(GitOID(oid.raw) == oid)
            ids.append((hex, oid))
        }
        #expect(ids.sorted { $0.oid < $1.oid }.map(\.hex) == ids.map(\.hex).sorted())
        #expect(Set(ids.map(\.oid)).count == Set(ids.map(\.hex)).count)
        #expect(GitOID(hex: String(repeating: "g", count: 40)) == nil && GitOID(hex: "abc") == nil)
    }

    @Test("a commit of nested paths is a clean, normal git commit with working tree and index in step")
    func firstCommit() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        #expect(try repo.headCommit() == nil)
        #expect(try repo.headBranch() == "main")
        #expect(repo.workdir == folder.path)
        #expect(repo.gitDir == folder.path + "/.git")

        let invoice = bytes("{\n  \"id\": \"inv-1\"\n}\n")
        let commit = try repo.commitChanges([
            ".folio/config.json": bytes("{}\n"),
            "invoices/ab/cd/inv-1.json": invoice,
            "orders/01/ord-1.json": bytes("{\"id\":\"ord-1\"}\n"),
        ], message: "Create invoice inv-1", author: signature(), parent: nil)

        #expect(try repo.headCommit() == commit)
        #expect(try git("rev-parse", "HEAD", in: folder.path) == commit.hex + "\n")
        try expectFsckClean(folder.path)
        #expect(try git("log", "--format=%an <%ae>|%s", in: folder.path) == "Ada Seller <ada@example.com>|Create invoice inv-1\n")
        #expect(try git("status", "--porcelain", "--untracked-files=all", in: folder.path) == "")
        #expect(try git(["show", "HEAD:invoices/ab/cd/inv-1.json"], in: folder.path).output == invoice)
        #expect(try folder.read("invoices/ab/cd/inv-1.json") == String(decoding: invoice, as: UTF8.self))
        // The reflog names the acting identity and says what happened.
        #expect(try git("reflog", "--format=%gs", "main", in: folder.path) == "commit (initial): Create invoice inv-1\n")

        let info = try repo.commitInfo(commit)
        #expect(info.message == "Create invoice inv-1")
        #expect(info.author == signature())
        #expect(info.committer == signature())
        #expect(info.parents.isEmpty)
        #expect(try repo.readFile(path: "invoices/ab/cd/inv-1.json", at: commit) == invoice)
        #expect(try repo.resolveCommit("main") == commit)
        #expect(try repo.resolveCommit(String(commit.hex.prefix(10))) == commit)
    }

    @Test("a second commit modifies one file and deletes another, pruning its now-empty folders")
    func modifyAndDelete() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        let first = try repo.commitChanges([
            "invoices/ab/inv-1.json": bytes("one\n"),
            "invoices/cd/ef/inv-2.json": bytes("two\n"),
        ], message: "Create two", author: signature(), parent: nil)
        let second = try repo.commitChanges([
            "invoices/ab/inv-1.json": bytes("one, edited\n"),
            "invoices/cd/ef/inv-2.json": nil,
        ], message: "Edit one, delete two", author: signature(at: 1_750_000_100), parent: first)

        #expect(try repo.commitInfo(second).parents == [first])
        #expect(try git("ls-tree", "-r", "-t", "--name-only", "HEAD", in: folder.path)
            == "invoices\ninvoices/ab\ninvoices/ab/inv-1.json\n")
        #expect(try git("status", "--porcelain", "--untracked-files=all", in: folder.path) == "")
        #expect(try folder.read("invoices/ab/inv-1.json") == "one, edited\n")
        #expect(!folder.exists("invoices/cd/ef/inv-2.json"))
        #expect(!folder.exists("invoices/cd"), "checkout leaves no empty folder behind")
        #expect(try repo.readFile(path: "invoices/cd/ef/inv-2.json", at: second) == nil)
        #expect(try repo.readFile(path: "invoices/cd/ef/inv-2.json", at: first) == bytes("two\n"))
        try expectFsckClean(folder.path)
    }

    @Test("a stale parent fails the compare-and-swap and leaves the branch where it was")
    func staleParent() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        let first = try repo.commitChanges(["a.json": bytes("1\n")], message: "one", author: signature(), parent: nil)
        let second = try repo.commitChanges(["a.json": bytes("2\n")], message: "two", author: signature(), parent: first)

        #expect(throws: GitError.refMoved(expected: first, actual: second)) {
            try repo.commitChanges(["b.json": bytes("x\n")], message: "stale", author: signature(), parent: first)
        }
        #expect(throws: GitError.refMoved(expected: nil, actual: second)) {
            try repo.commitChanges(["b.json": bytes("x\n")], message: "stale", author: signature(), parent: nil)
        }
        #expect(try repo.headCommit() == second)
        #expect(!folder.exists("b.json"))

        // The low-level CAS on its own: wrong expectation, ref that must not exist, ref that vanished.
        let orphan = try repo.createCommit(tree: repo.commitInfo(second).tree, parents: [], message: "orphan",
                                           author: signature(), committer: signature())
        #expect(throws: GitError.refMoved(expected: first, actual: second)) {
            try repo.updateRef("refs/heads/main", to: orphan, expected: first, logMessage: "x")
        }
        #expect(throws: GitError.refMoved(expected: nil, actual: second)) {
            try repo.updateRef("refs/heads/main", to: orphan, expected: nil, logMessage: "x")
        }
        #expect(throws: GitError.refMoved(expected: first, actual: nil)) {
            try repo.updateRef("refs/heads/other", to: orphan, expected: first, logMessage: "x")
        }
        try repo.updateRef("refs/heads/other", to: orphan, expected: nil, logMessage: "create other")
        try repo.updateRef("refs/heads/other", to: second, expected: orphan, logMessage: "move other")
        #expect(try git("rev-parse", "other", in: folder.path) == second.hex + "\n")
        #expect(try repo.headCommit() == second)
    }

    @Test("a local edit to a changed path refuses the whole commit and keeps the edit")
    func dirtyWorkingTree() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        let first = try repo.commitChanges([
            "invoices/inv-1.json": bytes("one\n"),
            "invoices/inv-2.json": bytes("two\n"),
        ], message: "Create", author: signature(), parent: nil)

        try folder.write("invoices/inv-1.json", "user edit\n")
        #expect(throws: GitError.dirtyWorkingTree(paths: ["invoices/inv-1.json"])) {
            try repo.commitChanges([
                "invoices/inv-1.json": bytes("folio edit\n"),
                "invoices/inv-2.json": bytes("two, edited\n"),
            ], message: "Edit both", author: signature(), parent: first)
        }
        #expect(try repo.headCommit() == first)
        #expect(try folder.read("invoices/inv-1.json") == "user edit\n")
        #expect(try folder.read("invoices/inv-2.json") == "two\n")

        // An untracked file where Folio would create one is a local change too.
        try folder.write("invoices/inv-3.json", "untracked\n")
        #expect(throws: GitError.dirtyWorkingTree(paths: ["invoices/inv-3.json"])) {
            try repo.commitChanges(["invoices/inv-3.json": bytes("three\n")], message: "Create 3", author: signature(), parent: first)
        }
        #expect(try folder.read("invoices/inv-3.json") == "untracked\n")

        // A staged change counts even when the file on disk was put back.
        try git(["add", "invoices/inv-1.json"], in: folder.path)
        try folder.write("invoices/inv-1.json", "one\n")
        #expect(try repo.dirtyPaths(["invoices/inv-1.json", "invoices/inv-2.json"], comparedTo: first) == ["invoices/inv-1.json"])
        try git(["reset", "-q"], in: folder.path)

        // Edits elsewhere do not block a commit and survive it.
        try folder.write("invoices/inv-1.json", "user edit again\n")
        let second = try repo.commitChanges(["invoices/inv-2.json": bytes("two, edited\n")], message: "Edit 2",
                                            author: signature(), parent: first)
        #expect(try repo.headCommit() == second)
        #expect(try folder.read("invoices/inv-1.json") == "user edit again\n")
        #expect(try git("status", "--porcelain", in: folder.path) == " M invoices/inv-1.json\n?? invoices/inv-3.json\n")
    }

    @Test("diff lists exactly the files that changed, with both blob ids")
    func diffBetweenCommits() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path, bare: true)
        #expect(repo.workdir == nil)
        var changes: [String: Data?] = [:]
        for i in 0..<200 { changes["docs/\(i % 10)/\(i).json"] = bytes("\(i)\n") }
        let first = try repo.commitChanges(changes, message: "many", author: signature(), parent: nil)
        let second = try repo.commitChanges([
            "docs/3/13.json": bytes("changed\n"),
            "docs/4/14.json": nil,
            "docs/new/x.json": bytes("new\n"),
            "docs/3/23.json": bytes("23\n"), // same content: no change
        ], message: "few", author: signature(), parent: first)

        let diff = try repo.diff(from: first, to: second)
        #expect(diff.map(\.path) == ["docs/3/13.json", "docs/4/14.json", "docs/new/x.json"])
        #expect(diff[0].oldBlob == (try repo.blobID(path: "docs/3/13.json", at: first)))
        #expect(diff[0].newBlob == (try repo.blobID(path: "docs/3/13.json", at: second)))
        #expect(diff[1].newBlob == nil && diff[1].oldBlob != nil)
        #expect(diff[2].oldBlob == nil && diff[2].newBlob != nil)
        let witness = try git("diff", "--name-only", first.hex, second.hex, in: folder.path)
        #expect(witness == diff.map { $0.path + "\n" }.joined())

        let fromEmpty = try repo.diff(from: nil, to: first)
        #expect(fromEmpty.count == 200 && fromEmpty.allSatisfy { $0.oldBlob == nil })
        #expect(fromEmpty.map(\.path) == fromEmpty.map(\.path).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(try repo.diff(from: second, to: second).isEmpty)
        try expectFsckClean(folder.path)
    }

    @Test("listFiles walks one folder recursively in path order; readFile is nil for a missing path")
    func listAndRead() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        let commit = try repo.commitChanges([
            "invoices/b/2.json": bytes("2"),
            "invoices/a/1.json": bytes("1"),
            "invoices/a.json": bytes("x"),
            "orders/o.json": bytes("o"),
        ], message: "files", author: signature(), parent: nil)
        #expect(try repo.listFiles(at: commit, under: "invoices").map(\.path)
            == ["invoices/a.json", "invoices/a/1.json", "invoices/b/2.json"])
        #expect(try repo.listFiles(at: commit, under: "invoices/").count == 3)
        #expect(try repo.listFiles(at: commit, under: "").count == 4)
        #expect(try repo.listFiles(at: commit, under: "missing").isEmpty)
        #expect(try repo.listFiles(at: commit, under: "orders/o.json").isEmpty)
        let ls = try git("ls-tree", "-r", "--format=%(path) %(objectname)", "HEAD", in: folder.path)
        #expect(try repo.listFiles(at: commit, under: "").map { "\($0.path) \($0.blob)\n" }.joined() == ls)

        #expect(try repo.readFile(path: "invoices/missing.json", at: commit) == nil)
        #expect(try repo.readFile(path: "nowhere/at/all.json", at: commit) == nil)
        #expect(try repo.readFile(path: "invoices", at: commit) == nil, "a folder is not a file")
        #expect(try repo.readFile(path: "invoices/a/1.json", at: commit) == bytes("1"))
        #expect(throws: GitError.invalidPath("../x")) { try repo.readFile(path: "../x", at: commit) }
        #expect(throws: GitError.self) { try repo.commitInfo(GitOID(hex: String(repeating: "ab", count: 20))!) }
        #expect(throws: GitError.notFound("revision nope")) { try repo.resolveCommit("nope") }
    }

    @Test("log(path:) lists the commits that touched the file, newest first, including a deletion")
    func fileHistory() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        let path = "invoices/inv-1.json"
        let c1 = try repo.commitChanges([path: bytes("v1\n")], message: "create", author: signature(at: 100), parent: nil)
        let c2 = try repo.commitChanges(["other.json": bytes("x\n")], message: "other", author: signature(at: 200), parent: c1)
        let c3 = try repo.commitChanges([path: bytes("v2\n")], message: "edit", author: signature(at: 300), parent: c2)
        let c4 = try repo.commitChanges([path: bytes("v2\n")], message: "same bytes", author: signature(at: 400), parent: c3)
        let c5 = try repo.commitChanges([path: nil], message: "delete", author: signature(at: 500), parent: c4)

        let history = try repo.log(path: path, from: c5)
        #expect(history.map(\.commit.id) == [c5, c3, c1])
        #expect(history.map(\.commit.message) == ["delete", "edit", "create"])
        #expect(history[0].blob == nil)
        #expect(history[1].blob == (try repo.blobID(path: path, at: c3)))
        let witness = try git("log", "--format=%H", "--", path, in: folder.path)
        #expect(witness == history.map { $0.commit.id.hex + "\n" }.joined())
        #expect(try repo.walk(from: c5, hiding: c2) == [c3, c4, c5])
        #expect(try repo.walk(from: c5, hiding: nil) == [c1, c2, c3, c4, c5])
    }

    @Test("log(path:) keeps a branch's change and a merge that combined both sides")
    func fileHistoryThroughMerges() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path, bare: true)
        let path = "doc.json"
        let base = try repo.commitChanges([path: bytes("base\n")], message: "base", author: signature(at: 100), parent: nil)
        func commit(_ content: String?, _ message: String, _ parents: [GitOID], at time: Int64) throws -> GitOID {
            let tree = try repo.writeTree(base: repo.commitInfo(parents[0]).tree, changes: [path: content.map(bytes)])
            return try repo.createCommit(tree: tree, parents: parents, message: message,
                                         author: signature(at: time), committer: signature(at: time))
        }
        let ours = try commit("ours\n", "ours", [base], at: 200)
        let theirs = try commit("theirs\n", "theirs", [base], at: 300)
        let tookOurs = try commit("ours\n", "merge keeping ours", [ours, theirs], at: 400)
        let combined = try commit("both\n", "merge combining", [tookOurs, theirs], at: 500)
        #expect(try repo.log(path: path, from: combined).map(\.commit.message)
            == ["merge combining", "theirs", "ours", "base"])
    }

    @Test("bulkWrite stores thousands of objects as one pack instead of loose files")
    func bulkWritePacks() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        let count = 5_000
        let commit = try repo.bulkWrite { () throws -> GitOID in
            var changes: [String: Data?] = [:]
            for i in 0..<count {
                changes[String(format: "invoices/%02x/inv-%05d.json", i % 64, i)] = bytes("{\"id\": \(i), \"note\": \"invoice number \(i)\"}\n")
            }
            let nested = try repo.bulkWrite { try repo.writeBlob(bytes("nested\n")) }
            changes["nested.txt"] = try repo.readBlob(nested)
            let tree = try repo.writeTree(base: nil, changes: changes)
            let commit = try repo.createCommit(tree: tree, parents: [], message: "bulk", author: signature(), committer: signature())
            try repo.updateRef("refs/heads/main", to: commit, expected: nil, logMessage: "bulk import")
            return commit
        }

        let objects = URL(fileURLWithPath: repo.gitDir).appendingPathComponent("objects")
        let fanout = try FileManager.default.contentsOfDirectory(atPath: objects.path).filter { $0.count == 2 }
        let loose = try fanout.reduce(0) { $0 + (try FileManager.default.contentsOfDirectory(atPath: objects.appendingPathComponent($1).path).count) }
        #expect(loose == 0)
        let packs = try FileManager.default.contentsOfDirectory(atPath: objects.appendingPathComponent("pack").path)
        #expect(packs.filter { $0.hasSuffix(".pack") }.count == 1)
        #expect(packs.filter { $0.hasSuffix(".idx") }.count == 1)
        #expect(!packs.contains { $0.hasSuffix(".keep") || $0.hasPrefix("tmp") }, "\(packs)")
        let counts = try git("count-objects", "-v", in: folder.path)
        #expect(counts.contains("in-pack: \(count + 1 + 64 + 2 + 1)\n"), "\(counts)") // blobs, folders, roots, commit

        // The packed objects are readable at once, and later writes go to disk as before.
        #expect(try repo.readFile(path: "invoices/00/inv-00064.json", at: commit) == bytes("{\"id\": 64, \"note\": \"invoice number 64\"}\n"))
        try repo.checkoutHead(force: true)
        #expect(try git("status", "--porcelain", in: folder.path) == "")
        // A later bulk packs only what it wrote, not the whole tree under its commit.
        let edited = try repo.bulkWrite {
            try repo.commitChanges(["invoices/05/inv-00005.json": bytes("edited\n")], message: "edit",
                                   author: signature(), parent: commit)
        }
        #expect(try git("count-objects", "-v", in: folder.path).contains("in-pack: \(count + 1 + 64 + 2 + 1 + 5)\n"))
        #expect(try git("status", "--porcelain", in: folder.path) == "")
        #expect(try folder.read("invoices/05/inv-00005.json") == "edited\n")
        #expect(try repo.headCommit() == edited)

        let after = try repo.writeBlob(bytes("after bulk\n"))
        #expect(FileManager.default.fileExists(atPath: objects.appendingPathComponent(String(after.hex.prefix(2)))
            .appendingPathComponent(String(after.hex.dropFirst(2))).path))
        try expectFsckClean(folder.path)
    }

    @Test("bulkWrite still persists what was written when its body throws")
    func bulkWriteThrowing() throws {
        struct Stop: Error {}
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        var written: GitOID?
        #expect(throws: Stop.self) {
            try repo.bulkWrite {
                written = try repo.writeBlob(bytes("kept\n"))
                throw Stop()
            }
        }
        let id = try #require(written)
        #expect(try git("cat-file", "-p", id.hex, in: folder.path) == "kept\n")
        #expect(try repo.bulkWrite { 42 } == 42, "an empty bulk writes no pack")
        let packs = try FileManager.default.contentsOfDirectory(atPath: repo.gitDir + "/objects/pack")
        #expect(packs.filter { $0.hasSuffix(".pack") }.count == 1)
    }

    @Test("mergeBases finds both bases of a criss-cross history made with plain git")
    func crissCross() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let dir = folder.path
        try git(["init", "-q", "-b", "main"], in: dir)
        try folder.write("base.txt", "base\n")
        try git(["add", "."], in: dir)
        try git(["commit", "-q", "-m", "base"], in: dir)
        try git(["checkout", "-q", "-b", "side"], in: dir)
        try folder.write("a.txt", "a\n")
        try git(["add", "."], in: dir)
        try git(["commit", "-q", "-m", "A1"], in: dir)
        try git(["checkout", "-q", "main"], in: dir)
        try folder.write("b.txt", "b\n")
        try git(["add", "."], in: dir)
        try git(["commit", "-q", "-m", "B1"], in: dir)
        let b1 = try git("rev-parse", "HEAD", in: dir).trimmingCharacters(in: .whitespacesAndNewlines)
        let a1 = try git("rev-parse", "side", in: dir).trimmingCharacters(in: .whitespacesAndNewlines)
        try git(["merge", "-q", "--no-ff", "-m", "M1", "side"], in: dir)
        try git(["checkout", "-q", "side"], in: dir)
        try git(["merge", "-q", "--no-ff", "-m", "M2", b1], in: dir)

        let repo = try GitRepository.open(at: dir)
        let m1 = try repo.resolveCommit("main"), m2 = try repo.resolveCommit("side")
        let bases = try repo.mergeBases(m1, m2)
        #expect(Set(bases.map(\.hex)) == [a1, b1])
        #expect(try repo.headBranch() == "side")

        let orphanTree = try repo.writeTree(base: nil, changes: ["x": bytes("x")])
        let orphan = try repo.createCommit(tree: orphanTree, parents: [], message: "unrelated", author: signature(), committer: signature())
        #expect(try repo.mergeBases(m1, orphan).isEmpty)
    }

    @Test("open finds the repository from a subfolder and from a bare repository's folder")
    func openFromSubfolder() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        // "//" as NSTemporaryDirectory() + "/x" produces: libgit2 alone fails to create that path.
        let created = try GitRepository.create(at: folder.path + "//repo", initialBranch: "trunk")
        #expect(created.gitDir == folder.path + "/repo/.git")
        let commit = try created.commitChanges(["invoices/ab/x.json": bytes("x\n")], message: "x", author: signature(), parent: nil)
        #expect(try git("symbolic-ref", "HEAD", in: folder.path + "/repo") == "refs/heads/trunk\n")

        let opened = try GitRepository.open(at: folder.path + "/repo/invoices/ab")
        #expect(opened.workdir == folder.path + "/repo")
        #expect(opened.gitDir == folder.path + "/repo/.git")
        #expect(try opened.headCommit() == commit)
        #expect(try opened.headBranch() == "trunk")

        let bare = try GitRepository.create(at: folder.path + "/bare.git", bare: true)
        let reopened = try GitRepository.open(at: folder.path + "/bare.git")
        #expect(reopened.workdir == nil && reopened.gitDir == bare.gitDir)
        #expect(throws: GitError.self) { try GitRepository.open(at: "/") }
    }

    @Test("config reads the effective value and setConfig writes the repository's own file")
    func configRoundTrip() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        #expect(try repo.config("folio.nothing") == nil)
        try repo.setConfig("user.email", "ada@example.com")
        try repo.setConfig("merge.folio.driver", "folio merge-driver %O %A %B %P")
        #expect(try repo.config("user.email") == "ada@example.com")
        #expect(try git("config", "--local", "merge.folio.driver", in: folder.path) == "folio merge-driver %O %A %B %P\n")
        try git(["config", "folio.changedOutside", "yes"], in: folder.path)
        #expect(try repo.config("folio.changedOutside") == "yes")
    }

    @Test("checkout(paths:) moves only the given paths; checkoutHead recreates missing files")
    func checkoutPaths() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path)
        let first = try repo.commitChanges(["a.json": bytes("a1\n"), "b.json": bytes("b1\n")], message: "1", author: signature(), parent: nil)
        // A commit made without touching the working tree, as a merge or generator would.
        let tree = try repo.writeTree(base: repo.commitInfo(first).tree, changes: ["a.json": bytes("a2\n"), "b.json": bytes("b2\n")])
        let second = try repo.createCommit(tree: tree, parents: [first], message: "2", author: signature(), committer: signature())
        try repo.updateRef("refs/heads/main", to: second, expected: first, logMessage: "fast-forward")
        try repo.checkout(paths: ["a.json"], from: first, to: second)
        #expect(try folder.read("a.json") == "a2\n")
        #expect(try folder.read("b.json") == "b1\n")
        // b.json's index entry and file still hold the first commit's version: a staged reversal.
        #expect(try git("status", "--porcelain", in: folder.path) == "M  b.json\n")

        try FileManager.default.removeItem(atPath: folder.path + "/a.json")
        try repo.checkoutHead(force: false)
        #expect(try folder.read("a.json") == "a2\n")
        try repo.checkoutHead(force: true)
        #expect(try folder.read("b.json") == "b2\n")
        #expect(try git("status", "--porcelain", in: folder.path) == "")
    }

    @Test("writeTree refuses bad paths and a path that is both file and folder")
    func writeTreeValidation() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let repo = try GitRepository.create(at: folder.path, bare: true)
        for bad in ["", "/a", "a/", "a//b", "a/../b", "./a", ".git/config", "a/.GIT/x"] {
            #expect(throws: GitError.invalidPath(bad)) { try repo.writeTree(base: nil, changes: [bad: bytes("x")]) }
        }
        #expect(throws: GitError.self) { try repo.writeTree(base: nil, changes: ["a": bytes("x"), "a/b": bytes("y")]) }
        // Deleting a folder, then refilling it in the same batch, starts it afresh.
        let base = try repo.writeTree(base: nil, changes: ["d/1": bytes("1"), "d/2": bytes("2"), "keep": bytes("k")])
        let refilled = try repo.writeTree(base: base, changes: ["d": nil, "d/3": bytes("3")])
        let expected = try repo.writeTree(base: nil, changes: ["d/3": bytes("3"), "keep": bytes("k")])
        #expect(refilled == expected)
        #expect(try repo.writeTree(base: base, changes: ["d": nil]) == (try repo.writeTree(base: nil, changes: ["keep": bytes("k")])))
        #expect(try repo.writeTree(base: base, changes: ["keep/x": nil]) == base, "deleting below a file keeps the file")
        #expect(try repo.writeTree(base: nil, changes: [:]).hex == "4b825dc642cb6eb9a060e54bf8d69288fbee4904")
    }

    @Test("object ids parse only 40 hex digits and normalise to lowercase")
    func oidParsing() {
        #expect(GitOID(hex: String(repeating: "A", count: 40))?.hex == String(repeating: "a", count: 40))
        #expect(GitOID(hex: String(repeating: "a", count: 39)) == nil)
        #expect(GitOID(hex: String(repeating: "g", count: 40)) == nil)
        #expect(Git.libgit2Version.hasPrefix("1."))
        let id = GitOID(hex: "0123456789abcdef0123456789abcdef01234567")!
        #expect(GitOID(id.raw) == id)
    }
}
