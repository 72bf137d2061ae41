import Foundation
import Testing
import ArgumentParser
@testable import FolioCommands

/// `folio list` enters ArgumentParser at ListCommand (FolioMain.parse); it must read every
/// option exactly as the parse from the root does, and leave help and mistakes to the root.
@Suite struct ParsingTests {
    static let listArguments: [[String]] = [
        [],
        ["--status", "accepted", "--sort-by", "due-date", "--limit", "20", "--json"],
        ["orders", "--open-items", "--customer-id", "C1", "--offset", "3"],
        ["--id", "a", "--id", "b", "--product-id", "P-1,P-2", "-C", "/tmp/x", "--as", "a@b.c", "--overdue", "--q", "PO-1", "--search-by", "orderNumber"],
        ["--no-index", "--offset", "5", "--order-by", "desc", "--due-from", "2025-01-01", "--due-to", "2025-12-31", "--channel", "b2b", "--type", "credit_note"],
        ["--payment-status", "0", "--external-id", "X-1,X-2", "--customer-name", "Acme", "--number", "INV-7", "--order-id", "O-1",
         "--issued-from", "2025-01-01", "--created-to", "2025-02-01", "--issued-to", "2025-03-01", "--created-from", "2024-01-01"],
        ["--status=draft", "--status", "issued", "--payment-status", "paid", "--limit=0", "invoices"],
    ]

    @Test(arguments: listArguments)
    func listParsesAsFromTheRoot(args: [String]) throws {
        let fast = try #require(try FolioMain.parse(["list"] + args) as? ListCommand)
        let root = try #require(try Folio.parseAsRoot(["list"] + args) as? ListCommand)
        #expect(try fast.query(today: "2026-01-01") == root.query(today: "2026-01-01"))
        #expect(fast.subject == root.subject && fast.openItems == root.openItems && fast.noIndex == root.noIndex && fast.overdue == root.overdue)
        #expect(fast.global.directory == root.global.directory && fast.global.identity == root.global.identity && fast.global.json == root.global.json)
    }

    @Test(arguments: [["--help"], ["list", "--help"], ["help", "list"], ["list", "-h"], ["invoice", "show", "--help"]])
    func helpIsPrintedAndExitsZero(args: [String]) throws {
        let r = try Tool.run(Tool.folioPath, args, cwd: FileManager.default.temporaryDirectory.path)
        #expect(r.code == 0, "\(args): \(r.stderr)")
        let usage = "USAGE: folio " + args.filter { !$0.hasPrefix("-") && $0 != "help" }.joined(separator: " ")
        #expect(r.stdout.contains(usage.trimmingCharacters(in: .whitespaces)), "\(args): \(r.stdout.prefix(200))")
        #expect(r.stderr.isEmpty)
    }

    /// Output that cannot be written (a full disk, here /dev/full) is an I/O error: exit 2
    /// and a sentence on standard error, not 0 with the output lost.
    @Test(arguments: [["--version"], ["list", "--help"], ["validate", "--format", "json"]])
    func outputThatCannotBeWrittenIsAnIOError(args: [String]) throws {
        let dir = TempDir("folio-full")
        if args.first == "validate" {
            let init_ = try Tool.run(Tool.folioPath, ["init", dir.file("repo"), "--company", "Full Co", "--currency", "EUR", "--seller", "s@e.x", "--unsigned"], cwd: dir.path)
            #expect(init_.code == 0, "\(init_.stderr)")
        }
        let command = ([Tool.folioPath, "-C", dir.file("repo")] + args).map { "'\($0)'" }.joined(separator: " ")
        let r = try Tool.run("/bin/sh", ["-c", command + " > /dev/full"], cwd: dir.path, env: ["FOLIO_USER": "s@e.x"])
        #expect(r.code == 2, "\(args): exit \(r.code), \(r.stderr)")
        #expect(r.stderr.contains("cannot write to standard output: No space left on device"), "\(r.stderr)")
    }

    /// Options with a fixed set of values are typed: help lists the values, and a value
    /// outside the set is a usage error (exit 2) that names them, before any work is done.
    @Test(arguments: [(["party", "add", "x@y.example", "--role", "boss"], ["seller", "buyer", "server"]),
                      (["validate", "--format", "yaml"], ["text", "json", "github"]),
                      (["list", "--status", "bogus"], ["draft", "pending_approval", "changes_requested", "accepted", "declined", "issued", "voided"]),
                      (["list", "--payment-status", "7"], ["open", "partially_paid", "paid", "0", "1", "2"]),
                      (["list", "--sort-by", "colour"], ["invoiceNumber", "createdAt", "updatedAt", "dueDate", "customerId", "externalCustomerId", "status",
                                                         "openBalance", "originalBalance", "isPendingPayment"]),
                      (["list", "--search-by", "colour", "--q", "x"], ["invoiceNumber", "type", "orderNumber", "purchaseOrderNumber", "customerId", "externalCustomerId"]),
                      (["list", "--order-by", "sideways"], ["ASC", "DESC"]),
                      (["init", "never-made", "--company", "C", "--currency", "EUR", "--invoicing", "auto"], ["api", "manual"])])
    func enumOptionsListTheirValues(args: [String], values: [String]) throws {
        let dir = FileManager.default.temporaryDirectory.path
        let bad = try Tool.run(Tool.folioPath, args, cwd: dir)
        #expect(bad.code == 2, "\(bad.stderr)")
        #expect(values.allSatisfy { bad.stderr.contains($0) }, "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/never-made"), "a usage error makes nothing")
        let help = try Tool.run(Tool.folioPath, Array(args.prefix(args.first == "party" ? 2 : 1)) + ["--help"], cwd: dir)
        #expect(help.code == 0)
        let helpText = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")   // help wraps long lists
        #expect(helpText.contains(values.joined(separator: ", ")) || helpText.contains(values.joined(separator: "|")), "\(help.stdout)")
    }

    @Test func mistakesAreReportedAsFromTheRoot() throws {
        let r = try Tool.run(Tool.folioPath, ["list", "--frobnicate"], cwd: FileManager.default.temporaryDirectory.path)
        #expect(r.code == 2)
        #expect(r.stderr.contains("Unknown option '--frobnicate'") && r.stderr.contains("Usage: folio list"))
    }
}

@Suite struct EnvironmentTests {
    @Test func readsWhatProcessInfoReads() {
        #expect(ProcessEnvironment.current() == ProcessInfo.processInfo.environment)
    }
}
