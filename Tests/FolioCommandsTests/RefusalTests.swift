import Foundation
import Testing

/// Each refusal: exit 1, a sentence that says why, and nothing written (SPEC §5, §8).
@Suite("Refusals and bad input write nothing")
struct RefusalTests {
    /// Runs a command that must fail and checks that HEAD and the working tree did not move.
    func refused(_ f: Fixture, _ args: [String], as who: String? = Fixture.seller, code: Int32 = 1, mentions: [String],
                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try f.head()
        let r = try f.folio(args, as: who)
        #expect(r.code == code, "exit \(r.code) for \(args): \(r.stderr)", sourceLocation: sourceLocation)
        for m in mentions { #expect(r.stderr.contains(m), "stderr lacks \"\(m)\": \(r.stderr)", sourceLocation: sourceLocation) }
        #expect(r.stdout.isEmpty, "a failed command prints no data", sourceLocation: sourceLocation)
        #expect(try f.head() == before, "no commit", sourceLocation: sourceLocation)
        #expect(try f.status().isEmpty, "no half-written file", sourceLocation: sourceLocation)
    }

    @Test("roles: buyers never edit or send, sellers never answer, buyers answer only for their customer")
    func roles() throws {
        let f = try Fixture()
        let id = try f.draft()
        try refused(f, ["invoice", "update", id, "--set", "/note=hi"], as: Fixture.buyer, mentions: ["buyer", "seller"])
        try refused(f, ["invoice", "send", id], as: Fixture.buyer, mentions: ["only a seller"])
        try expectOK(f.folio(["invoice", "send", id]))
        try refused(f, ["invoice", "accept", id], as: Fixture.seller, mentions: ["only the buyer"])
        try refused(f, ["invoice", "accept", id], as: Fixture.otherBuyer, mentions: ["C2", "C1"])
        try refused(f, ["invoice", "show", id], as: Fixture.otherBuyer, mentions: ["cannot see"])
        try refused(f, ["invoice", "decline", id, "--reason", "  "], as: Fixture.buyer, mentions: ["reason"])
        try refused(f, ["invoice", "void", id], as: Fixture.buyer, mentions: ["only a seller"])
        try refused(f, ["party", "add", "x@y.example", "--role", "seller"], as: Fixture.buyer, mentions: ["only a seller"])
        try refused(f, ["invoice", "show", id], as: "stranger@nowhere.example", mentions: ["not a party"])
    }

    @Test("workflow: accepted content is final, declined is never resent, paid is never voided")
    func workflow() throws {
        let f = try Fixture()
        let a = try f.draft(items: "1")
        try expectOK(f.folio(["invoice", "send", a]))
        try refused(f, ["invoice", "send", a], mentions: ["already waiting"])
        try expectOK(f.folio(["invoice", "accept", a], as: Fixture.buyer))
        try refused(f, ["invoice", "update", a, "--set", "/note=late"], mentions: ["final", "credit note"])
        try refused(f, ["invoice", "void", a], mentions: ["accepted"])
        try refused(f, ["invoice", "decline", a, "--reason", "no"], as: Fixture.buyer, mentions: ["accepted"])
        let b = try f.draft(items: "2")
        try refused(f, ["invoice", "pay", b, "--amount", "1.00"], mentions: ["draft"])
        try refused(f, ["invoice", "credit", b], mentions: ["credit notes correct accepted"])
        try expectOK(f.folio(["invoice", "send", b]))
        try expectOK(f.folio(["invoice", "decline", b, "--reason", "not ordered"], as: Fixture.buyer))
        try expectOK(f.folio(["invoice", "update", b, "--set", "/note=fixed"]))
        try refused(f, ["invoice", "send", b], mentions: ["never sent again"])
        let c = try f.draft(items: "3")
        try expectOK(f.folio(["invoice", "send", c]))
        try expectOK(f.folio(["invoice", "pay", c, "--amount", "1.00"]))
        try refused(f, ["invoice", "void", c], mentions: ["payments"])
    }

    @Test("edits that would break the document are refused with the field named")
    func badEdits() throws {
        let f = try Fixture()
        let id = try f.draft()
        try refused(f, ["invoice", "update", id, "--set", "/totals/total=1"], mentions: ["/totals", "derived"])
        try refused(f, ["invoice", "update", id, "--set", "/lines/0/quantity=12"], mentions: ["/lines/0/quantity", "decimal string"])
        try refused(f, ["invoice", "update", id, "--set", "/lines/0/unitPrice=-5"], mentions: ["/lines/0/unitPrice", "negative"])
        try refused(f, ["invoice", "update", id, "--set", "/lines/0/unitPrice=99999999999999999"], mentions: ["/lines/0/unitPrice", "larger"])
        try refused(f, ["invoice", "update", id, "--set", "/lines/0/unitPrice=19.99"], mentions: ["/lines/0/unitPrice"])
        try refused(f, ["invoice", "update", id, "--set", "/dueDate=2026-02-30"], mentions: ["/dueDate", "calendar date"])
        try refused(f, ["invoice", "update", id, "--set", "/surprise=1"], mentions: ["/surprise", "not a field"])
        try refused(f, ["invoice", "update", id, "--set", "/lines/9/quantity=\"1\""], code: 2, mentions: ["/lines/9"])
        try refused(f, ["invoice", "update", id, "--set", "note=x"], code: 2, mentions: ["JSON Pointer"])
        try refused(f, ["invoice", "update", id, "--set", "/extraFields=[{\"fieldName\": \"nope\", \"fieldValue\": \"1\"}]"], mentions: ["nope", "not defined"])
        try refused(f, ["invoice", "pay", id, "--amount", "1.001"], code: 2, mentions: ["--amount"])
        try refused(f, ["invoice", "show", "no-such-invoice"], mentions: ["no invoice", "no-such-invoice"])
        try refused(f, ["invoice", "show", "../../etc/passwd"], code: 2, mentions: ["path separator"])
        try refused(f, ["invoice", "create", "--order", "O-1", "--items", "9"], mentions: ["no item \"9\""])
    }

    /// Order files with one problem each (SPEC §8): the message names the file and the field.
    static let badOrders: [(name: String, body: Data, mentions: [String])] = [
        ("malformed", Data(#"{"id": "O-2", "customer": {"id": "C1"}, "items": [ "#.utf8), ["malformed.json", "not valid JSON"]),
        ("wrongtype", Data(#"{"id": "O-2", "customer": {"id": "C1"}, "items": [{"description": "x", "quantity": 2, "unitPrice": 100, "taxRate": "0"}]}"#.utf8), ["wrongtype.json", "/items/0/quantity"]),
        ("currency", Data(#"{"id": "O-2", "currency": "EUX", "customer": {"id": "C1"}, "items": [{"description": "x", "quantity": "2", "unitPrice": 100, "taxRate": "0"}]}"#.utf8), ["currency.json", "/currency", "EUX"]),
        ("negative", Data(#"{"id": "O-2", "customer": {"id": "C1"}, "items": [{"description": "x", "quantity": "2", "unitPrice": -100, "taxRate": "0"}]}"#.utf8), ["/items/0/unitPrice", "negative"]),
        ("overflow", Data(#"{"id": "O-2", "customer": {"id": "C1"}, "items": [{"description": "x", "quantity": "2", "unitPrice": 99999999999999999999, "taxRate": "0"}]}"#.utf8), ["/items/0/unitPrice"]),
        ("fraction", Data(#"{"id": "O-2", "customer": {"id": "C1"}, "items": [{"description": "x", "quantity": "2", "unitPrice": 19.99, "taxRate": "0"}]}"#.utf8), ["/items/0/unitPrice", "fraction"]),
        ("slash", Data(#"{"id": "../O-2", "customer": {"id": "C1"}, "items": [{"description": "x", "quantity": "2", "unitPrice": 1, "taxRate": "0"}]}"#.utf8), ["/id", "folder"]),
        ("dots", Data(#"{"id": "O..2", "customer": {"id": "C1"}, "items": [{"description": "x", "quantity": "2", "unitPrice": 1, "taxRate": "0"}]}"#.utf8), ["/id", ".."]),
        ("utf8", Data(#"{"id": "O-2", "customer": {"id": "C1", "name": "caf"#.utf8) + Data([0xE9, 0x22]) + Data(#"}, "items": []}"#.utf8), ["utf8.json", "UTF-8"]),
        ("markers", Data("{\"id\": \"O-2\",\n<<<<<<< HEAD\n\"customer\": {\"id\": \"C1\"},\n=======\n\"customer\": {\"id\": \"C2\"},\n>>>>>>> theirs\n\"items\": []}\n".utf8), ["markers.json", "conflict marker", "line 2"]),
        ("nested", Data((String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)).utf8), ["nested.json", "nested"]),
        ("huge", Data(repeating: 0x20, count: 5 << 20), ["huge.json", "bytes"]),
        ("rate", Data(#"{"id": "O-2", "customer": {"id": "C1"}, "items": [{"description": "x", "quantity": "2", "unitPrice": 1, "taxRate": "120"}]}"#.utf8), ["/items/0/taxRate", "maximum"]),
        ("missing", Data(#"{"id": "O-2", "items": [{"description": "x", "quantity": "2", "unitPrice": 1, "taxRate": "1"}]}"#.utf8), ["/customer", "required"]),
    ]

    @Test("bad order files are refused with the file and field named, nothing written", arguments: 0..<RefusalTests.badOrders.count)
    func badOrderFile(_ index: Int) throws {
        let f = try Fixture()
        let bad = RefusalTests.badOrders[index]
        let path = f.dir.write("\(bad.name).json", bytes: bad.body)
        try refused(f, ["order", "create", "--file", path], mentions: bad.mentions)
    }

    @Test("exit codes: usage errors are 2, not a repository is 2, unknown command is 2")
    func exitCodes() throws {
        let f = try Fixture()
        #expect(try f.folio(["invoice", "create"]).code == 2)
        #expect(try f.folio(["frobnicate"]).code == 2)
        #expect(try f.folio(["list", "--sort-by", "colour"]).code == 2)
        let notRepo = try Tool.run(Tool.folioPath, ["-C", f.dir.path, "list"], cwd: f.dir.path)
        #expect(notRepo.code == 2)
        #expect(notRepo.stderr.contains("not a Folio repository"))
        let version = try Tool.run(Tool.folioPath, ["--version"], cwd: f.dir.path)
        #expect(version.code == 0 && version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }

    @Test("a hand edit in the working tree is never overwritten")
    func dirtyWorkingTree() throws {
        let f = try Fixture()
        let id = try f.draft()
        let path = try Tool.git(["ls-files", "invoices"], cwd: f.repo).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let file = f.repo + "/" + path
        let mine = try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "\"revision\": 1", with: "\"revision\": 1 ")
        try mine.write(toFile: file, atomically: true, encoding: .utf8)
        let before = try f.head()
        let r = try f.folio(["invoice", "update", id, "--set", "/note=x"])
        #expect(r.code == 1)
        #expect(r.stderr.contains(path))
        #expect(try f.head() == before)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == mine, "the user's edit is intact")
    }
}
