import Foundation
import Testing
import FolioGit
import FolioModel
import FolioRepo
@testable import FolioIndex

/// The fast reader may only ever be stricter than the model: whatever it accepts, the
/// model (`DocumentCodec.decode` with the same schema) must accept, with the same values.
@Suite struct DocumentScanTests {
    static let samples: (invoices: [Data], orders: [Data]) = {
        let dir = TempDir("folio-reader")
        let path = try! Fixture.generated(dir, invoices: 200, seed: 5, checkout: false)
        let git = try! GitRepository.open(at: path)
        let head = try! git.headCommit()!
        let invoices = try! git.listFiles(at: head, under: "invoices").map { try git.readBlob($0.blob) }
        let orders = try! git.listFiles(at: head, under: "orders").map { try git.readBlob($0.blob) }
        return (invoices, orders)
    }()

    @Test func generatedDocumentsTakeTheFastPathWithTheModelsValues() throws {
        for data in Self.samples.invoices {
            let fast = try #require(DocumentDecoding.fastInvoice(data))
            let model = try DocumentCodec.decode(Invoice.self, data: data, schema: Schemas.invoice, file: "x").0
            #expect(fast == InvoiceRecord(model))
        }
        for data in Self.samples.orders {
            let fast = try #require(DocumentDecoding.fastOrder(data))
            let model = try DocumentCodec.decode(Order.self, data: data, schema: Schemas.order, file: "x").0
            #expect(fast == OrderRecord(model))
        }
    }

    @Test func escapesWhitespaceAndUnicodeDecodeAsTheModelDoes() throws {
        var rng = SplitMix(state: 3)
        for (k, data) in Self.samples.invoices.prefix(40).enumerated() {
            var json = try JSONValue.parse(data)
            guard case .object(var o) = json, case .object(var customer) = o["customer"] else { continue }
            customer["name"] = .string(rng.pick(["Zoë \u{1F600} Ltd", "Cafe\u{301}", "a\"b\\c/d\u{8}\u{C}\n\t", "\u{212A}", "漢字の会社", "tab\there"]))
            o["customer"] = .object(customer)
            o["note"] = .string("line\r\nbreak \u{10FFFF}")
            // An array of strings: each element is captured itself (series rules of validate --since).
            if k % 3 != 1 { o["voidedNumbers"] = .array([.string("A-\(k)"), .string("\u{C9}-7 \"x\"")].prefix(k % 3 + 1).map { $0 }) }
            json = .object(o)
            let text = Serializer(escapeNonASCII: k % 2 == 0, spaced: k % 3 == 0, rng: rng).write(json)
            let bytes = Data(text.utf8)
            let model = try DocumentCodec.decode(Invoice.self, data: bytes, schema: Schemas.invoice, file: "x").0
            let fast = try #require(DocumentDecoding.fastInvoice(bytes), "\(text.prefix(300))")
            #expect(fast == InvoiceRecord(model))
        }
    }

    @Test(arguments: 0..<4)
    func mutatedDocumentsNeverPassTheFastReaderAlone(seed: Int) throws {
        var rng = SplitMix(state: 0xBAD_0000 + UInt64(seed))
        var fastAccepted = 0, modelAccepted = 0, total = 0
        for round in 0..<400 {
            let isOrder = rng.chance(25)
            let source = isOrder ? rng.pick(Self.samples.orders) : rng.pick(Self.samples.invoices)
            let mutated = Mutator.mutate(source, &rng)
            total += 1
            if isOrder {
                let model = try? DocumentCodec.decode(Order.self, data: mutated, schema: Schemas.order, file: "x").0
                if model != nil { modelAccepted += 1 }
                if let fast = DocumentDecoding.fastOrder(mutated) {
                    fastAccepted += 1
                    #expect(model.map(OrderRecord.init) == fast, "round \(round): \(String(decoding: mutated, as: UTF8.self).prefix(2000))")
                }
            } else {
                let model = try? DocumentCodec.decode(Invoice.self, data: mutated, schema: Schemas.invoice, file: "x").0
                if model != nil { modelAccepted += 1 }
                if let fast = DocumentDecoding.fastInvoice(mutated) {
                    fastAccepted += 1
                    #expect(model.map(InvoiceRecord.init) == fast, "round \(round): \(String(decoding: mutated, as: UTF8.self).prefix(2000))")
                }
            }
        }
        // The mutations must exercise both verdicts, or the test proves nothing.
        #expect(fastAccepted > total / 10 && modelAccepted < total * 9 / 10, "fast \(fastAccepted), model \(modelAccepted) of \(total)")
    }

    /// `Captures.isCanonical` lets validate skip writing a document out again to compare: the
    /// scan may say it only of bytes that `CanonicalJSON` writes, never of a layout, key
    /// order, escape or ending a byte away; and it must say it of canonical documents without
    /// escapes, or validate never takes the shortcut.
    @Test(arguments: 0..<3)
    func canonicalIsSaidOnlyOfCanonicalBytes(seed: Int) throws {
        let schemas = (invoice: CompiledSchema(Schemas.invoice, path: "", captures: [:]), order: CompiledSchema(Schemas.order, path: "", captures: [:]))
        var rng = SplitMix(state: 0xCA_0000 + UInt64(seed))
        var said = 0, refused = 0
        for round in 0..<500 {
            let isOrder = rng.chance(25)
            var json = try JSONValue.parse(isOrder ? rng.pick(Self.samples.orders) : rng.pick(Self.samples.invoices))
            if rng.chance(40) {
                // Canonical bytes of other values: escapes, keys of every length, empty containers.
                var all: [[String]] = []
                Mutator.paths(json, into: &all)
                if let path = all.randomElement(using: &rng) {
                    json = Mutator.set(json, path[...], rng.pick(Mutator.oddValues + [.string("a\"b\\c\nd\u{1}"), .string("Zoë")]))
                }
            }
            var bytes = CanonicalJSON.bytes(json)
            let lines = { String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
            switch rng.int(9) {
            case 0: bytes.insert(rng.pick(Array(" \n\t\r".utf8)), at: rng.int(bytes.count + 1))
            case 1: if let k = bytes.indices.filter({ bytes[$0] == 0x20 || bytes[$0] == 0x0A }).randomElement(using: &rng) { bytes.remove(at: k) }
            case 2:
                // Two neighbouring members swapped: valid JSON, keys out of order.
                var l = lines()
                if let k = l.indices.dropLast().filter({ l[$0].hasSuffix(",") && l[$0 + 1].hasSuffix(",") && l[$0].contains("\": ") && l[$0 + 1].contains("\": ")
                    && !l[$0].hasSuffix("{,") && l[$0].prefix(while: { $0 == " " }) == l[$0 + 1].prefix(while: { $0 == " " }) }).randomElement(using: &rng) {
                    l.swapAt(k, k + 1)
                    bytes = Array(l.joined(separator: "\n").utf8)
                }
            case 3: bytes.append(0x0A)
            case 4: bytes.removeLast()
            case 5:
                // A letter inside a string written as an escape.
                if let k = bytes.indices.dropFirst().filter({ bytes[$0] == UInt8(ascii: "e") && bytes[$0 - 1] != 0x5C }).randomElement(using: &rng) {
                    bytes.replaceSubrange(k...k, with: Array("\\u0065".utf8))
                }
            case 6: if let k = bytes.firstIndex(of: UInt8(ascii: ":")) { bytes.insert(0x20, at: k) }
            default: break
            }
            let data = Data(bytes)
            guard let scan = DocumentScan.read(data, schema: isOrder ? schemas.order : schemas.invoice) else { continue }
            let canonical = DocumentCodec.isCanonical(data, try JSONValue.parse(data))
            if scan.isCanonical { said += 1 } else { refused += 1 }
            #expect(!scan.isCanonical || canonical, "round \(round): said canonical of \(String(decoding: bytes, as: UTF8.self).prefix(1500))")
            if canonical && !bytes.contains(0x5C) { #expect(scan.isCanonical, "round \(round): missed \(String(decoding: bytes, as: UTF8.self).prefix(1500))") }
        }
        #expect(said > 50 && refused > 100, "said \(said), refused \(refused)")
    }

    @Test func rulesAtTheirEdges() throws {
        let base = try JSONValue.parse(Self.samples.invoices[0])
        func variant(_ pointer: [String], _ value: JSONValue?) -> Data {
            Data(Serializer(escapeNonASCII: false, spaced: false, rng: SplitMix(state: 1)).write(Mutator.set(base, pointer[...], value)).utf8)
        }
        let cases: [([String], JSONValue?)] = [
            (["number"], .string(String(repeating: "x", count: 200))), (["number"], .string(String(repeating: "x", count: 201))),
            (["number"], .string(String(repeating: "e\u{301}", count: 200))), (["number"], .string(String(repeating: "\r\n", count: 150))),
            (["id"], "a..b"), (["id"], "-a"), (["id"], "Ünï"), (["id"], .string(String(repeating: "a", count: 101))),
            (["createdBy"], "a@b"), (["createdBy"], "@b.c"), (["createdBy"], "a b@c.d"), (["createdBy"], "a@b@c.d"),
            (["issueDate"], "2024-02-29"), (["issueDate"], "2025-02-29"), (["issueDate"], "1899-12-31"), (["issueDate"], "2025-1-01"),
            (["createdAt"], "2025-01-01T10:00:00.123Z"), (["createdAt"], "2025-01-01T24:00:00Z"), (["createdAt"], "2025-01-01T10:00:60Z"),
            (["currency"], "EUR"), (["currency"], "eur"), (["currency"], "XAU"),
            (["lines", "0", "quantity"], "1."), (["lines", "0", "quantity"], "0.000000000001"), (["lines", "0", "quantity"], "0.0000000000001"),
            (["lines", "0", "quantity"], "1000000000"), (["lines", "0", "quantity"], "1000000000.1"), (["lines", "0", "quantity"], "-0"),
            (["lines", "0", "taxRate"], "100"), (["lines", "0", "taxRate"], "100.0001"), (["lines", "0", "unitPrice"], 1_000_000_000_000_000),
            (["lines", "0", "unitPrice"], 1_000_000_000_000_001), (["lines", "0", "unitPrice"], -1), (["revision"], 1_000_001),
            (["status"], "voided"), (["status"], "VOIDED"), (["status"], nil), (["totals"], .null), (["number"], .null), (["id"], .null),
            (["customer", "name"], .int(5)), (["payments"], .array([.null])), (["extraFields"], .array([])),
        ]
        for (pointer, value) in cases {
            let data = variant(pointer, value)
            let model = try? DocumentCodec.decode(Invoice.self, data: data, schema: Schemas.invoice, file: "x").0
            let fast = DocumentDecoding.fastInvoice(data)
            if let fast { #expect(model.map(InvoiceRecord.init) == fast, "\(pointer) = \(String(describing: value))") }
            // Where the reader can decide, it decides as the model does.
            if !(value?.stringValue.map { !$0.utf8.allSatisfy { $0 < 0x80 && $0 != 0x0D } } ?? false) {
                #expect((fast != nil) == (model != nil), "\(pointer) = \(String(describing: value)): fast \(fast != nil), model \(model != nil)")
            }
        }
    }
}

/// JSON text in several spellings, all meaning the same document.
struct Serializer {
    var escapeNonASCII: Bool
    var spaced: Bool
    var rng: SplitMix

    func write(_ v: JSONValue) -> String {
        var out = ""
        emit(v, &out)
        return out
    }

    private func emit(_ v: JSONValue, _ out: inout String) {
        let gap = spaced ? " \n\t" : ""
        switch v {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .string(let s): string(s, &out)
        case .array(let a):
            out += "[" + gap
            for (k, e) in a.enumerated() { if k > 0 { out += "," + gap }; emit(e, &out) }
            out += gap + "]"
        case .object(let o):
            out += "{" + gap
            for (k, key) in o.keys.sorted().enumerated() {
                if k > 0 { out += "," + gap }
                string(key, &out, escapeAll: false)
                out += gap + ":" + gap
                emit(o[key]!, &out)
            }
            out += gap + "}"
        }
    }

    private func string(_ s: String, _ out: inout String, escapeAll: Bool = true) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case "/" where escapeAll && escapeNonASCII: out += "\\/"
            default:
                if u.value < 0x20 || (escapeAll && escapeNonASCII && u.value >= 0x80) {
                    for unit in String(u).utf16 { out += String(format: "\\u%04x", unit) }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

enum Mutator {
    static func set(_ v: JSONValue, _ path: ArraySlice<String>, _ value: JSONValue?) -> JSONValue {
        guard let key = path.first else { return value ?? .null }
        switch v {
        case .object(var o):
            if path.count == 1 { o[key] = value } else if let child = o[key] { o[key] = set(child, path.dropFirst(), value) }
            return .object(o)
        case .array(var a):
            guard let i = Int(key), a.indices.contains(i) else { return v }
            if path.count == 1 { if let value { a[i] = value } else { a.remove(at: i) } } else { a[i] = set(a[i], path.dropFirst(), value) }
            return .array(a)
        default: return v
        }
    }

    static func paths(_ v: JSONValue, _ prefix: [String] = [], into out: inout [[String]]) {
        switch v {
        case .object(let o): for (k, c) in o { out.append(prefix + [k]); paths(c, prefix + [k], into: &out) }
        case .array(let a): for (i, c) in a.enumerated() { out.append(prefix + [String(i)]); paths(c, prefix + [String(i)], into: &out) }
        default: break
        }
    }

    static let oddValues: [JSONValue] = [
        .null, .bool(true), .int(0), .int(-1), .int(Int64.max), .int(1_000_001), .string(""), .string("x"), .string("2025-13-01"),
        .string("2025-01-01"), .string("2025-01-01T00:00:00Z"), .string("1.5"), .string("1e3"), .string("a@b.c"), .string("EUR"),
        .string("open"), .string("sent"), .string("Zoë"), .string("\u{212A}"), .string("a\r\nb"), .string(String(repeating: "y", count: 300)),
        .array([]), .array([.int(1)]), .object([:]), .object(["id": "x"]),
    ]

    static func mutate(_ data: Data, _ rng: inout SplitMix) -> Data {
        if rng.chance(30) {
            // Bytes: the parser's own rules (syntax, UTF-8, numbers, markers, depth).
            var bytes = [UInt8](data)
            switch rng.int(7) {
            case 0: bytes.remove(at: rng.int(bytes.count))
            case 1: bytes.insert(rng.pick(Array(",:{}[]\"\\.e-0 \n<=>|".utf8) + [0x00, 0x1F, 0xC3, 0xFF, 0x80]), at: rng.int(bytes.count))
            case 2: bytes[rng.int(bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
            case 3:
                // Turn an integer into a float, or a string quote into an escape.
                if let i = bytes.indices.filter({ bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }).randomElement(using: &rng) { bytes.insert(contentsOf: Array(".0".utf8), at: i + 1) }
            case 4:
                let line = Array("<<<<<<< HEAD\n".utf8)
                if let nl = bytes.indices.filter({ bytes[$0] == 0x0A }).randomElement(using: &rng) { bytes.insert(contentsOf: line, at: nl + 1) }
            case 5:
                // Duplicate a key: repeat one "key": value line.
                let text = String(decoding: bytes, as: UTF8.self)
                var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if let k = lines.indices.filter({ lines[$0].hasSuffix(",") && lines[$0].contains("\": ") }).randomElement(using: &rng) {
                    lines.insert(lines[k], at: k)
                }
                bytes = Array(lines.joined(separator: "\n").utf8)
            default:
                bytes = Array(String(repeating: "[", count: 40).utf8) + bytes + Array(String(repeating: "]", count: 40).utf8)
            }
            return Data(bytes)
        }
        // Values: the schema's rules.
        var json = (try? JSONValue.parse(data)) ?? .null
        var all: [[String]] = []
        paths(json, into: &all)
        for _ in 0..<(1 + rng.int(2)) {
            guard let path = all.randomElement(using: &rng) else { break }
            switch rng.int(4) {
            case 0: json = set(json, path[...], nil)
            case 1: json = set(json, path.dropLast() + ["unknownField"], .string("x"))
            default: json = set(json, path[...], rng.pick(oddValues))
            }
        }
        return Data(Serializer(escapeNonASCII: rng.chance(30), spaced: rng.chance(30), rng: rng).write(json).utf8)
    }
}

/// The scan and the full check on a schema with a map (parties by email): a null member is
/// the full check's to refuse, never the scan's to accept.
@Suite struct DocumentScanMapTests {
    @Test func nullMapMemberGoesToTheFullCheck() throws {
        let parties = CompiledSchema(Schemas.parties, path: "", captures: [:])
        let good = Data(#"{"parties": {"ana@seller.example": {"role": "seller"}}}"#.utf8)
        let bad = Data(#"{"parties": {"ana@seller.example": null}}"#.utf8)
        #expect(Schemas.parties.check(try JSONValue.parse(good), file: "p").isEmpty)
        #expect(DocumentScan.read(good, schema: parties) != nil)
        #expect(!Schemas.parties.check(try JSONValue.parse(bad), file: "p").isEmpty)
        #expect(DocumentScan.read(bad, schema: parties) == nil)
    }
}
