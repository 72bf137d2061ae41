import Foundation
import Testing
@testable import FolioModel

@Suite("Numbering series")
struct SeriesTests {
    @Test("format pads the sequence to the configured width", arguments: [
        ("A", 7, 5, "A-00007"), ("A", 1, 5, "A-00001"), ("INV2026", 42, 6, "INV2026-000042"), ("B", 123456, 5, "B-123456"),
        ("S", 3, 0, "S-3"), ("A", 99999, 5, "A-99999"),
    ])
    func format(prefix: String, sequence: Int, padding: Int, number: String) {
        #expect(Series.format(prefix: prefix, sequence: sequence, padding: padding) == number)
    }

    @Test("parse splits a number at its last dash", arguments: [
        ("A-00007", "A", 7), ("INV2026-000042", "INV2026", 42), ("B-123456", "B", 123456), ("A-B-00003", "A-B", 3), ("S-3", "S", 3),
    ])
    func parse(number: String, prefix: String, sequence: Int) throws {
        let p = try #require(Series.parse(number))
        #expect(p.prefix == prefix)
        #expect(p.sequence == sequence)
    }

    @Test("parse refuses what is not a prefix and a positive decimal sequence", arguments: [
        "A00007", "-00007", "A-", "A-0", "A-00000", "A-x", "A-7a", "A-+5", "A- 5", "", "A-٣",
    ])
    func parseRefuses(number: String) {
        #expect(Series.parse(number) == nil)
    }

    @Test("format and parse round-trip")
    func roundTrip() throws {
        for seq in [1, 9, 10, 99_999, 100_000, 7_654_321] {
            let p = try #require(Series.parse(Series.format(prefix: "XY9", sequence: seq, padding: 5)))
            #expect(p.prefix == "XY9" && p.sequence == seq)
        }
    }

    @Test("prefixes are 1 to 16 capital letters and digits", arguments: [
        ("A", true), ("INV2026", true), ("0", true), (String(repeating: "Z", count: 16), true),
        ("", false), (String(repeating: "Z", count: 17), false), ("a", false), ("A-B", false), ("A B", false), ("É", false), ("A_1", false),
    ])
    func validatePrefix(prefix: String, valid: Bool) {
        #expect((Series.validatePrefix(prefix) == nil) == valid)
    }

    @Test("the default prefix is the capitalised letters and digits of the email's local part, at most 8", arguments: [
        ("sam@seller.example", "SAM"), ("jane.doe@x.example", "JANEDOE"), ("alexander.hamilton@x.example", "ALEXANDE"),
        ("r2d2@x.example", "R2D2"), ("...@x.example", "S"), ("élodie@x.example", "LODIE"), ("no-at-sign", "NOATSIGN"),
    ])
    func defaultPrefix(email: String, prefix: String) {
        let p = Series.defaultPrefix(for: email)
        #expect(p == prefix)
        #expect(Series.validatePrefix(p) == nil)
    }
}

@Suite("Document paths")
struct DocumentPathTests {
    @Test("the path is a pure function of the id, sharded two levels deep")
    func shape() throws {
        let path = DocumentPaths.path(.invoice, id: "inv-1")
        #expect(path == DocumentPaths.path(.invoice, id: "inv-1"))
        let parts = path.split(separator: "/").map(String.init)
        #expect(parts.count == 4)
        #expect(parts[0] == "invoices")
        #expect(parts[3] == "inv-1.json")
        for shard in parts[1...2] {
            #expect(shard.count == 2)
            #expect(shard.allSatisfy { "0123456789abcdef".contains($0) })
        }
        #expect(DocumentPaths.path(.order, id: "inv-1").hasPrefix("orders/\(parts[1])/\(parts[2])/"))
    }

    @Test("FNV-1a 64, finalized with fmix64, drives the shards")
    func fnv() {
        // Published FNV-1a 64-bit test vectors.
        #expect(DocumentPaths.fnv1a64("") == 0xcbf29ce484222325)
        #expect(DocumentPaths.fnv1a64("a") == 0xaf63dc4c8601ec8c)
        #expect(DocumentPaths.fnv1a64("foobar") == 0x85944171f73967e8)
        let h = DocumentPaths.shardHash("a")
        #expect(h != DocumentPaths.fnv1a64("a"))
        #expect(DocumentPaths.path(.invoice, id: "a") == String(format: "invoices/%02x/%02x/a.json", Int(h >> 56), Int((h >> 48) & 0xFF)))
    }

    @Test("sequential ids spread so that no folder fills up")
    func spread() {
        var leaves: [Substring: Int] = [:]
        for i in 0..<20_000 {
            let path = DocumentPaths.path(.invoice, id: "inv_\(i)")
            leaves[path.dropLast(path.count - 15), default: 0] += 1     // "invoices/xx/yy/"
        }
        #expect(leaves.count > 10_000, "20,000 sequential ids should use most of the 65,536 leaf folders")
        #expect(leaves.values.max()! <= 10)
        let tops = Set(leaves.keys.map { $0.dropLast(4) })
        #expect(tops.count == 256, "every first-level folder is used")
    }

    @Test("parse gives back the kind and id of a document path")
    func parse() throws {
        for (kind, id) in [(DocumentKind.invoice, "inv-1"), (.order, "o.2026_01")] {
            let p = try #require(DocumentPaths.parse(DocumentPaths.path(kind, id: id)))
            #expect(p.kind == kind)
            #expect(p.id == id)
        }
        #expect(DocumentPaths.parse(".folio/config.json") == nil)
        #expect(DocumentPaths.parse("invoices/aa/bb/readme.txt") == nil)
        #expect(DocumentPaths.parse("README.json") == nil)
        #expect(DocumentPaths.series("A") == ".folio/series/A.json")
    }

    @Test("ids that could leave their folder or confuse a shell are refused", arguments: [
        "", "a/b", "a\\b", "..", "a..b", "../x", ".hidden", "-rf", "_x", "a b", "a;b", "a$b", "é", "a\u{0}b", "a\nb",
        String(repeating: "x", count: 101), "a:b", "a*b",
    ])
    func badIDs(id: String) {
        #expect(DocumentPaths.validateID(id) != nil)
    }

    @Test("plain ids are accepted", arguments: ["inv-1", "INV_2026.01", "0abc", "a", String(repeating: "x", count: 100), "inv_01HZX3"])
    func goodIDs(id: String) {
        #expect(DocumentPaths.validateID(id) == nil)
    }

    @Test("the messages say why an id is refused")
    func messages() {
        #expect(DocumentPaths.validateID("a/b")?.contains("path separator") == true)
        #expect(DocumentPaths.validateID("a..b")?.contains("\"..\"") == true)
        #expect(DocumentPaths.validateID("")  == "is empty")
        #expect(DocumentPaths.validateID("a b") == "contains \" \"; ids may use letters A-Z a-z, digits, \"-\", \"_\" and \".\"")
    }
}
