import Foundation
import Testing

/// The command line's rough edges (issue 10): one error style, suggestions, honest exit codes.
@Suite("Command-line edges")
struct CommandLineEdgeTests {
    @Test("a negative amount is an amount (refused, exit 1), not a missing value")
    func negativeAmount() throws {
        let f = try Fixture()
        let id = try f.draft()
        try expectOK(f.folio(["invoice", "send", id]))
        let r = try f.folio(["invoice", "pay", id, "--amount", "-5"])
        #expect(r.code == 1 && r.stderr.contains("greater than zero"), "\(r.stderr)")
    }

    @Test("a mistyped command gets a suggestion, at the root and in a group; help for no command exits 2")
    func mistakes() throws {
        let f = try Fixture()
        let root = try f.folio(["invocie", "show", "x"])
        #expect(root.code == 2 && root.stderr.hasPrefix("folio: error: no command \"invocie\"; did you mean \"invoice\"?"), "\(root.stderr)")
        let group = try f.folio(["invoice", "shwo", "x"])
        #expect(group.code == 2 && group.stderr.contains("did you mean \"show\"?"), "\(group.stderr)")
        let help = try f.folio(["help", "nosuch"], as: nil)
        #expect(help.code == 2 && help.stderr.contains("no command \"nosuch\"") && help.stdout.isEmpty, "\(help.stdout) \(help.stderr)")
        #expect(try f.folio(["help", "invoice", "pay"], as: nil).code == 0)
    }

    @Test("every error starts folio: error:, whatever its exit code")
    func oneStyle() throws {
        let f = try Fixture()
        let refused = try f.folio(["invoice", "send", "nosuch"])
        let usage = try f.folio(["invoice", "pay"])
        let invalid = try f.folio(["order", "create", "--file", f.dir.write("bad.json", "{")])
        for r in [refused, usage, invalid] {
            #expect(r.code != 0 && r.stderr.hasPrefix("folio: error: "), "\(r.code): \(r.stderr)")
        }
    }

    @Test("a write prints what happened on stderr and the invoice's state on stdout")
    func confirmationsOnStderr() throws {
        let f = try Fixture()
        let id = try f.draft()
        let r = try f.folio(["invoice", "send", id])
        #expect(r.code == 0)
        #expect(r.stderr.contains("Send invoice") && !r.stdout.contains("Send invoice"), "\(r.stdout) | \(r.stderr)")
        #expect(r.stdout.contains("pending_approval"), "\(r.stdout)")
    }
}

@Suite("folio demo")
struct DemoTests {
    static var sample: String { FileManager.default.currentDirectoryPath + "/sample-repo" }

    @Test("the demo plays to a clean validate and leaves no temporary folder behind")
    func scratch() throws {
        let tmp = TempDir("folio-demo-tmp")
        let r = try Tool.run(Tool.folioPath, ["demo", "--sample", Self.sample], cwd: tmp.path, env: ["TMPDIR": tmp.path])
        #expect(r.code == 0, "\(r.stderr)")
        #expect(r.stdout.contains("folio validate: 0 error(s), 0 warning(s)"), "\(r.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp.path).isEmpty, "the demo removed its repositories")
    }

    @Test("demo --into keeps a repository that plain git and folio validate find clean")
    func kept() throws {
        let tmp = TempDir("folio-demo-keep")
        let target = tmp.file("shop")
        try expectOK(Tool.run(Tool.folioPath, ["demo", "--sample", Self.sample, "--into", target], cwd: tmp.path))
        #expect(try Tool.git(["fsck", "--strict"], cwd: target).code == 0)
        #expect(try Tool.git(["status", "--porcelain"], cwd: target).stdout.isEmpty)
        #expect(try Tool.run(Tool.folioPath, ["-C", target, "validate"], cwd: tmp.path).code == 0)
        #expect(FileManager.default.fileExists(atPath: target + "-bob"))
    }
}
