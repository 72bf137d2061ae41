import Foundation
import Testing

/// Settings, parties, extra-field definitions and draft deletion through the binary, each a
/// commit by a seller (issue 10: the seeds' workflow without hand edits).
@Suite("Settings and definitions without hand edits")
struct SettingsTests {
    @Test("config set/show: manual invoicing turns approval off and keeps it off; bad keys and buyers are refused")
    func config() throws {
        let f = try Fixture()
        try expectOK(f.folio(["config", "set", "invoicing", "manual"]))
        var shown = try f.json(["config", "show"])
        #expect(shown["invoicing"] as? String == "manual")
        #expect(shown["requireApproval"] as? Bool == false)
        let contradiction = try f.folio(["config", "set", "requireApproval", "true"])
        #expect(contradiction.code == 1 && contradiction.stderr.contains("manual"), "\(contradiction.stderr)")
        try expectOK(f.folio(["config", "set", "due-days", "14"]))
        shown = try f.json(["config", "show"])
        #expect(shown["dueDays"] as? Int == 14)
        #expect(try f.folio(["config", "set", "colour", "blue"]).code == 2)
        #expect(try f.folio(["config", "set", "dueDays", "14"], as: Fixture.buyer).code == 1)
        #expect(try Tool.git(["log", "-1", "--format=%ae %s"], cwd: f.repo).stdout.hasPrefix("\(Fixture.seller) Set dueDays to 14"))
        // init --invoicing manual stores the two settings in step too.
        let other = f.dir.file("manual")
        try expectOK(Tool.run(Tool.folioPath, ["--as", Fixture.seller, "init", other, "--company", "M", "--currency", "EUR", "--invoicing", "manual", "--unsigned"], cwd: f.dir.path))
        let config = try String(contentsOfFile: other + "/.folio/config.json", encoding: .utf8)
        #expect(config.contains("\"requireApproval\": false"), "\(config)")
    }

    @Test("a required extra field binds invoices sent after it was defined; /extraFields/- appends; a used field stays defined")
    func extraFields() throws {
        let f = try Fixture()
        let old = try f.draft(items: "1")
        try expectOK(f.folio(["invoice", "send", old]))
        try expectOK(f.folio(["invoice", "accept", old], as: Fixture.buyer))
        try expectOK(f.folio(["field", "add", "costCenter", "--type", "list", "--values", "A,B", "--required"]))
        try expectOK(f.folio(["validate"]))   // the accepted invoice is not asked for it
        let fresh = try f.draft(items: "2")
        let refused = try f.folio(["invoice", "send", fresh])
        #expect(refused.code == 1 && refused.stderr.contains("costCenter") && refused.stderr.contains("/extraFields/-"), "\(refused.stderr)")
        let wrong = try f.folio(["invoice", "update", fresh, "--set", #"/extraFields/-={"fieldName": "costCenter", "fieldValue": "Z"}"#])
        #expect(wrong.code == 1 && wrong.stderr.contains("fields/list"), "\(wrong.stderr)")
        try expectOK(f.folio(["invoice", "update", fresh, "--set", #"/extraFields/-={"fieldName": "costCenter", "fieldValue": "B"}"#]))
        try expectOK(f.folio(["invoice", "send", fresh]))
        let list = try f.folio(["field", "list"])
        #expect(list.stdout.contains("costCenter") && list.stdout.contains("required"))
        let remove = try f.folio(["field", "remove", "costCenter"])
        #expect(remove.code == 1 && remove.stderr.contains("1 invoice"), "\(remove.stderr)")
        try expectOK(f.folio(["field", "add", "spare", "--type", "text"]))
        try expectOK(f.folio(["field", "remove", "spare"]))
        try expectOK(f.folio(["validate"]))
    }

    @Test("party update and remove; a series in use is refused; the last seller stays")
    func parties() throws {
        let f = try Fixture()
        try expectOK(f.folio(["party", "update", Fixture.buyer, "--name", "Bea B."]))
        let parties = try f.json(["party", "list"])
        #expect(((parties["parties"] as? [String: Any])?[Fixture.buyer] as? [String: Any])?["name"] as? String == "Bea B.")
        let series = try #require(((parties["parties"] as? [String: Any])?[Fixture.seller] as? [String: Any])?["series"] as? String)
        let taken = try f.folio(["party", "add", "second@seller.example", "--role", "seller", "--series", series])
        #expect(taken.code == 1 && taken.stderr.contains("already"), "\(taken.stderr)")
        try expectOK(f.folio(["party", "add", "second@seller.example", "--role", "seller", "--series", "SEC"]))
        let clash = try f.folio(["party", "update", "second@seller.example", "--series", series])
        #expect(clash.code == 1)
        try expectOK(f.folio(["party", "remove", Fixture.otherBuyer]))
        try expectOK(f.folio(["party", "remove", "second@seller.example"]))
        let last = try f.folio(["party", "remove", Fixture.seller])
        #expect(last.code == 1 && last.stderr.contains("last seller"), "\(last.stderr)")
        #expect(try f.folio(["party", "remove", "nobody@x.example"]).code == 1)
    }

    @Test("invoice delete: a draft goes and frees its items; a sent invoice stays")
    func deleteDraft() throws {
        let f = try Fixture()
        let draft = try f.draft(items: "1")
        try expectOK(f.folio(["invoice", "delete", draft]))
        #expect(try f.folio(["invoice", "show", draft]).code == 1)
        let order = try f.json(["order", "show", "O-1"])
        #expect((order["items"] as? [[String: Any]])?.first?["status"] as? String == "open")
        let sent = try f.draft(items: "1")
        try expectOK(f.folio(["invoice", "send", sent]))
        let refused = try f.folio(["invoice", "delete", sent])
        #expect(refused.code == 1 && refused.stderr.contains("never deleted"), "\(refused.stderr)")
        try expectOK(f.folio(["validate"]))
    }
}
