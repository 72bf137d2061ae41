import Foundation
import Testing
import ArgumentParser
@testable import FolioCommands
import FolioModel
import FolioRepo

/// Commands run in this process, writing to an in-memory console: parsing and printing are
/// tested without starting the binary.
@Suite struct InProcessTests {
    static let seller = "sam@seller.example"

    func run(_ arguments: [String]) -> (code: Int32, output: String, errors: String) {
        let console = Console.inMemory(arguments: arguments)
        let code = FolioMain.execute(console)
        return (code, console.written.output, console.written.errors)
    }

    /// A new repository in a folder that lives as long as the returned value.
    func repository() throws -> TempDir {
        let dir = TempDir("folio-inprocess")
        let made = run(["init", dir.file("repo"), "--company", "In Process Co", "--currency", "EUR", "--seller", Self.seller, "--unsigned", "--as", Self.seller])
        try #require(made.code == 0, "\(made.errors)")
        return dir
    }

    /// -C, --as and --json before the command reach it, as they do after it: the root declares
    /// the same option group, and ArgumentParser hands the values down.
    @Test(arguments: [["-C", "/r", "--as", "a@b.example", "--json", "invoice", "show", "X"],
                      ["invoice", "show", "X", "-C", "/r", "--as", "a@b.example", "--json"],
                      ["-C", "/r", "invoice", "--as", "a@b.example", "show", "--json", "X"]])
    func globalOptionsAnywhere(args: [String]) throws {
        let show = try #require(try FolioMain.parse(args) as? InvoiceShow)
        #expect(show.global.directory == "/r" && show.global.actingAs == "a@b.example" && show.global.wantsJSON)
    }

    /// `folio -C repo list …` takes the shortcut into ListCommand too, and reads the same.
    @Test func leadingOptionsBeforeList() throws {
        let args = ["-C", "/tmp/x", "--as", "a@b.example", "list", "--status", "draft", "--json"]
        let fast = try #require(try FolioMain.parse(args) as? ListCommand)
        let root = try #require(try Folio.parseAsRoot(args) as? ListCommand)
        #expect(fast.global.directory == "/tmp/x" && root.global.directory == "/tmp/x")
        #expect(fast.global.actingAs == root.global.actingAs && fast.global.wantsJSON && root.global.wantsJSON)
        #expect(try fast.query(today: "2026-01-01") == root.query(today: "2026-01-01"))
        // A value of -C that reads "list" is a folder, not the command.
        let named = try #require(try FolioMain.parse(["-C", "list", "list", "--limit", "3"]) as? ListCommand)
        #expect(named.global.directory == "list" && named.limit == 3)
    }

    @Test func dataToOutputConfirmationsToErrors() throws {
        let dir = try repository()
        let repo = dir.file("repo")
        let added = run(["-C", repo, "--as", Self.seller, "party", "add", "bea@buyer.example", "--role", "buyer", "--customer", "C1"])
        #expect(added.code == 0, "\(added.errors)")
        let listed = run(["-C", repo, "--as", Self.seller, "--json", "party", "list"])
        #expect(listed.code == 0, "\(listed.errors)")
        let parties = try #require(try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [String: Any])
        #expect(parties.keys.contains("bea@buyer.example") || listed.output.contains("\"bea@buyer.example\""), "\(listed.output)")
        let validated = run(["-C", repo, "validate", "--format", "json"])
        #expect(validated.code == 0, "\(validated.errors)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(validated.output.utf8)) as? [String: Any])
        #expect(report["ok"] as? Bool == true && report["errors"] as? Int == 0, "\(validated.output)")
    }

    @Test func mistypedCommandAfterLeadingOptions() throws {
        let r = run(["-C", "/nowhere", "--as", "a@b.example", "invocie", "show", "X"])
        #expect(r.code == 2)
        #expect(r.errors.hasPrefix("folio: error: no command \"invocie\"; did you mean \"invoice\"?"), "\(r.errors)")
        #expect(r.output.isEmpty)
        let help = run(["-C", "/nowhere", "help", "invocie"])
        #expect(help.code == 2 && help.errors.contains("did you mean \"invoice\"?"), "\(help.errors)")
    }

    @Test func refusalGoesToErrorsWithExitOne() throws {
        let dir = try repository()
        let repo = dir.file("repo")
        let r = run(["-C", repo, "--as", Self.seller, "invoice", "send", "no-such-invoice"])
        #expect(r.code == 1)
        #expect(r.errors == "folio: error: no invoice with id \"no-such-invoice\" in this repository\n", "\(r.errors)")
        #expect(r.output.isEmpty)
    }

    func errorObject(_ text: String) throws -> [String: Any] {
        let top = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
        return try #require(top["error"] as? [String: Any], "\(text)")
    }

    /// With --json a failure is one object on standard error: its kind decides the exit status,
    /// and an invalid document's findings name the file, the pointer and the rule.
    @Test func jsonErrorsForScripts() throws {
        let dir = try repository()
        let repo = dir.file("repo")
        let missing = run(["-C", repo, "--as", Self.seller, "--json", "invoice", "send", "nope"])
        #expect(missing.code == 1 && missing.output.isEmpty)
        let notFound = try errorObject(missing.errors)
        #expect(notFound["kind"] as? String == "not-found" && notFound["exitCode"] as? Int == 1)
        #expect(notFound["message"] as? String == "no invoice with id \"nope\" in this repository")
        #expect((notFound["findings"] as? [Any])?.isEmpty == true)

        let order = dir.write("order.json", """
            {"id": "O-9", "customer": {"id": "C1"}, "currency": "EUR", "channel": "b2b",
             "items": [{"ref": "1", "description": "x", "quantity": "1", "unitPrice": 1.5, "taxRate": "0"}]}
            """)
        let head = try Tool.git(["rev-parse", "HEAD"], cwd: repo).stdout
        let bad = run(["-C", repo, "--as", Self.seller, "order", "create", "--file", order, "--json"])
        #expect(bad.code == 1 && bad.output.isEmpty)
        let invalid = try errorObject(bad.errors)
        #expect(invalid["kind"] as? String == "invalid" && invalid["exitCode"] as? Int == 1)
        let finding = try #require((invalid["findings"] as? [[String: Any]])?.first)
        #expect(finding["file"] as? String == order && finding["pointer"] as? String == "/items/0/unitPrice")
        #expect(finding["rule"] as? String == "json/number" && finding["severity"] as? String == "error")
        #expect(try Tool.git(["rev-parse", "HEAD"], cwd: repo).stdout == head, "nothing written")

        let usage = run(["-C", repo, "--json", "list", "--limit", "5000"])
        #expect(usage.code == 2)
        #expect(try errorObject(usage.errors)["kind"] as? String == "usage")
        let unknown = run(["-C", repo, "--json", "invocie"])
        #expect(unknown.code == 2)
        #expect((try errorObject(unknown.errors)["message"] as? String)?.hasPrefix("no command \"invocie\"; did you mean \"invoice\"?") == true, "\(unknown.errors)")
    }

    /// Each kind has the exit status of SPEC §5, and each layer's errors arrive as their kind.
    @Test func errorKindsDecideTheExitStatus() {
        for kind in FolioError.Kind.allCases {
            switch kind {
            case .usage, .io, .notARepository, .git: #expect(kind.exitCode == 2, "\(kind)")
            case .alreadyDone: #expect(kind.exitCode == 0)
            default: #expect(kind.exitCode == 1, "\(kind)")
            }
        }
        #expect(FolioError.wrap(Refusal("no")).kind == .refused)
        #expect(FolioError.wrap(DocumentError(file: "f.json", pointer: "/a", rule: "r", "bad")).findings.map(\.pointer) == ["/a"])
    }

    /// `-Cpath` is read as `-C path`; options of `list` before the word `list` are no global
    /// options, and stay a usage error as from the root.
    @Test func globalOptionsSpelledTheirWays() throws {
        let joined = try #require(try FolioMain.parse(["-C/tmp/x", "list", "--limit", "2"]) as? ListCommand)
        #expect(joined.global.directory == "/tmp/x" && joined.limit == 2)
        let r = run(["--overdue", "list"])
        #expect(r.code == 2 && r.output.isEmpty, "\(r.errors)")
    }

    /// The request an idempotency key is recorded with is the one this run was asked (the
    /// console's arguments), not the process's: the same key for another request is refused.
    @Test func idempotencyKeyDigestsThisRequest() throws {
        let dir = try repository()
        let repo = dir.file("repo")
        func order(_ id: String) -> String {
            dir.write("\(id).json", """
                {"id": "\(id)", "customer": {"id": "C1"}, "currency": "EUR", "channel": "b2b",
                 "items": [{"ref": "1", "description": "x", "quantity": "1", "unitPrice": 100, "taxRate": "0"}]}
                """)
        }
        let (first, second) = (order("O-1"), order("O-2"))
        let made = run(["-C", repo, "--as", Self.seller, "order", "create", "--file", first, "--idempotency-key", "k1"])
        #expect(made.code == 0, "\(made.errors)")
        let again = run(["-C", repo, "--as", Self.seller, "order", "create", "--file", first, "--idempotency-key", "k1"])
        #expect(again.code == 0 && again.errors.contains("already done"), "\(again.errors)")
        let other = run(["-C", repo, "--as", Self.seller, "order", "create", "--file", second, "--idempotency-key", "k1"])
        #expect(other.code == 1 && other.errors.contains("was used for a different request"), "\(other.errors)")
        // Where the run happens and who is named are not the request; the spelling of -C neither.
        #expect(GlobalOptions.requestDigest(["-C\(repo)", "order", "create", "--file", first])
                 == GlobalOptions.requestDigest(["order", "create", "--file", first, "-C", repo, "--json"]))
        #expect(GlobalOptions.requestDigest(["order", "create", "--file", first]) != GlobalOptions.requestDigest(["order", "create", "--file", second]))
    }
}
