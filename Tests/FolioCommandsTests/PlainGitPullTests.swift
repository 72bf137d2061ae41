import Foundation
import Testing

/// Issue 10, defect 1: `folio` run from PATH registers a merge driver git can run; a plain
/// `git pull` works on git's defaults and needs no identity besides FOLIO_USER; `validate`
/// and `sync` notice a driver that cannot run, and validate says when the working tree or a
/// merge in progress differs from HEAD (defect 12).
@Suite("Plain git next to folio", .serialized)
struct PlainGitPullTests {
    /// A user's shell: folio found on PATH by its bare name, a HOME with no git config at all.
    struct Shell {
        let dir = TempDir("folio-path")
        var bin: String { dir.file("bin") }
        var home: String { dir.file("home") }

        init() throws {
            try FileManager.default.createDirectory(atPath: dir.file("bin"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: dir.file("home"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Tool.folioPath, toPath: dir.file("bin/folio"))
            // Another test's process started while the copy was open for writing holds that
            // descriptor until it execs: running the copy meanwhile fails with ETXTBSY.
            for _ in 0..<100 {
                if (try? Tool.run(dir.file("bin/folio"), ["--version"]))?.code == 0 { break }
                usleep(20_000)
            }
        }

        func env(_ user: String?) -> [String: String] {
            var e = ["PATH": "\(bin):/usr/bin:/bin", "HOME": home, "XDG_CONFIG_HOME": home, "GIT_CONFIG_NOSYSTEM": "1"]
            if let user { e["FOLIO_USER"] = user }
            return e
        }

        @discardableResult
        func run(_ command: String, in folder: String, as user: String?) throws -> RunResult {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            return try Tool.run("/bin/sh", ["-c", command], cwd: folder, env: env(user))
        }
    }

    static let seller = "sam@seller.example"
    static let buyer = "bea@buyer.example"

    @Test("folio from PATH: git pull merges through the driver on git's defaults, with FOLIO_USER as the only identity")
    func gitPullFromPath() throws {
        let sh = try Shell()
        let work = sh.dir.file("work")
        sh.dir.write("order.json", """
            {"id": "O-1", "customer": {"id": "C1", "name": "Bea"}, "currency": "USD",
             "items": [{"ref": "1", "description": "Shirt", "quantity": "3", "unitPrice": 1999, "taxRate": "10"}]}
            """)
        try expectOK(sh.run("folio init shop --company Shop --currency USD --unsigned", in: work, as: Self.seller))
        let shop = work + "/shop"
        let driver = try Tool.git(["config", "merge.folio.driver"], cwd: shop).stdout
        #expect(driver.hasPrefix(sh.bin + "/folio "), "the driver names the folio that ran, not \(driver)")
        try expectOK(sh.run("folio party add \(Self.buyer) --role buyer --customer C1 && folio order create --file ../../order.json && folio invoice create --order O-1 --id inv-1 && folio invoice send inv-1", in: shop, as: Self.seller))
        // A bare remote as `git init --bare` makes it (HEAD on master), the seller pushes main.
        #expect(try Tool.git(["init", "-q", "--bare", sh.dir.file("remote.git")], cwd: sh.dir.path, env: sh.env(nil)).code == 0)
        try expectOK(sh.run("git remote add origin ../../remote.git && folio push", in: shop, as: Self.seller))
        // The buyer clones from another folder, answers, pushes.
        try expectOK(sh.run("folio clone ../remote.git buyer", in: sh.dir.file("elsewhere"), as: Self.buyer))
        let buyer = sh.dir.file("elsewhere/buyer")
        try expectOK(sh.run("folio invoice request-changes inv-1 --note 'two shirts' && folio sync", in: buyer, as: Self.buyer))
        // The seller edits offline, then merges with plain git: no pull.rebase, no user.email
        // anywhere but what folio init recorded.
        try expectOK(sh.run("folio invoice update inv-1 --set /note=thanks", in: shop, as: Self.seller))
        let pull = try sh.run("git pull --no-edit", in: shop, as: nil)
        #expect(pull.code == 0, "git pull: \(pull.stdout) \(pull.stderr)")
        #expect(try Tool.git(["status", "--porcelain"], cwd: shop).stdout.isEmpty)
        #expect(try Tool.git(["log", "-1", "--format=%ae %P"], cwd: shop).stdout.hasPrefix(Self.seller), "the merge commit is the seller's")
        let show = try sh.run("folio invoice show inv-1 --json", in: shop, as: Self.seller)
        let doc = try #require(JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any], "\(show.stderr)")
        #expect(doc["note"] as? String == "thanks")
        #expect(doc["status"] as? String == "changes_requested", "the buyer's request merged in")
        #expect(try sh.run("folio validate", in: shop, as: Self.seller).code == 0)
    }

    @Test("validate flags a merge driver git cannot run; sync registers the folio that runs")
    func brokenDriver() throws {
        let sh = try Shell()
        let work = sh.dir.file("work")
        try expectOK(sh.run("folio init shop --company Shop --currency USD --unsigned", in: work, as: Self.seller))
        let shop = work + "/shop"
        #expect(try Tool.git(["init", "-q", "--bare", "-b", "main", sh.dir.file("remote.git")], cwd: sh.dir.path).code == 0)
        try expectOK(sh.run("git remote add origin ../../remote.git", in: shop, as: nil))
        #expect(try Tool.git(["config", "merge.folio.driver", "/gone/folio merge-driver %O %A %B %P"], cwd: shop).code == 0)
        let validate = try sh.run("folio validate", in: shop, as: Self.seller)
        #expect(validate.code == 1)
        #expect(validate.stdout.contains("error[clone/merge-driver]") && validate.stdout.contains("/gone/folio"), "\(validate.stdout)")
        let sync = try sh.run("folio sync", in: shop, as: Self.seller)
        #expect(sync.code == 0, "\(sync.stderr)")
        #expect(sync.stderr.contains("re-registered the merge driver"), "\(sync.stderr)")
        #expect(try Tool.git(["config", "merge.folio.driver"], cwd: shop).stdout.hasPrefix(sh.bin + "/folio "))
        #expect(try sh.run("folio validate", in: shop, as: Self.seller).code == 0)
    }

    @Test("validate says when the working tree or a merge in progress differs from HEAD")
    func workingTreeAndMergeState() throws {
        let f = try Fixture()
        let id = try f.draft()
        let file = try #require(Tool.git(["ls-files", "invoices"], cwd: f.repo).stdout.split(separator: "\n").first.map(String.init))
        #expect(try f.folio(["validate"]).code == 0)
        // An uncommitted hand edit: a warning, HEAD is still what was checked.
        let path = f.repo + "/" + file
        let original = try String(contentsOfFile: path, encoding: .utf8)
        try original.replacingOccurrences(of: "\"revision\": 1", with: "\"revision\": 7").write(toFile: path, atomically: true, encoding: .utf8)
        let edited = try f.folio(["validate"])
        #expect(edited.code == 0 && edited.stdout.contains("warning[worktree/uncommitted]") && edited.stdout.contains(file), "\(edited.stdout)")
        // Conflict markers left by a text merge: an error.
        try "<<<<<<< HEAD\n\(original)=======\n\(original)>>>>>>> theirs\n".write(toFile: path, atomically: true, encoding: .utf8)
        let markers = try f.folio(["validate"])
        #expect(markers.code == 1 && markers.stdout.contains("error[worktree/conflict-markers]"), "\(markers.stdout)")
        #expect(try Tool.git(["checkout", "--", file], cwd: f.repo).code == 0)
        // A merge git stopped in the middle of.
        #expect(try Tool.git(["checkout", "-q", "-b", "side"], cwd: f.repo).code == 0)
        try expectOK(f.folio(["invoice", "update", id, "--set", "/note=side"]))
        #expect(try Tool.git(["checkout", "-q", "main"], cwd: f.repo).code == 0)
        try expectOK(f.folio(["invoice", "update", id, "--set", "/note=main"]))
        let merge = try Tool.git(["-c", "merge.folio.driver=false", "merge", "--no-edit", "side"], cwd: f.repo)
        #expect(merge.code != 0, "the failing driver stops the merge")
        let midMerge = try f.folio(["validate"])
        #expect(midMerge.code == 1 && midMerge.stdout.contains("error[worktree/merge-in-progress]"), "\(midMerge.stdout)")
        #expect(try Tool.git(["merge", "--abort"], cwd: f.repo).code == 0)
        #expect(try f.folio(["validate"]).code == 0)
    }
}
