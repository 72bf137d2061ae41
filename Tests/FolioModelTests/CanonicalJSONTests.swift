import Foundation
import Testing
@testable import FolioModel

@Suite("Canonical JSON")
struct CanonicalJSONTests {
    @Test("objects have sorted keys, 2-space indent, \"key\": value and one trailing newline")
    func layout() throws {
        let doc = try J(#"{"b":[1,{"d":null,"c":true}],"a":"x","e":{},"f":[],"g":-7,"h":false}"#)
        let expected = """
        {
          "a": "x",
          "b": [
            1,
            {
              "c": true,
              "d": null
            }
          ],
          "e": {},
          "f": [],
          "g": -7,
          "h": false
        }

        """
        #expect(CanonicalJSON.string(doc) == expected)
        #expect(CanonicalJSON.bytes(doc) == Array(expected.utf8))
    }

    @Test("scalars and empty containers are written on one line followed by a newline", arguments: [
        ("null", "null\n"), ("true", "true\n"), ("0", "0\n"), ("-9223372036854775808", "-9223372036854775808\n"),
        (#""x""#, "\"x\"\n"), ("[]", "[]\n"), ("{}", "{}\n"),
    ])
    func scalars(input: String, output: String) throws {
        #expect(CanonicalJSON.string(try J(input)) == output)
    }

    @Test("keys sort by their UTF-8 bytes, not by UTF-16 units or locale")
    func utf8Order() {
        // U+FF61 sorts before U+1F600 in UTF-8 (EF… < F0…) but after it in UTF-16 (FF61 > D83D).
        let keys = ["😀", "\u{FF61}", "é", "b", "aa", "a", "_", "B", "Z", "", "10", "9"]
        let doc = JSONValue.object(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONValue.int(1)) }))
        #expect(CanonicalJSON.sortedKeys(doc.objectValue!) == ["", "10", "9", "B", "Z", "_", "a", "aa", "b", "é", "\u{FF61}", "😀"])
        let text = CanonicalJSON.string(doc)
        let order = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { text.range(of: "\"\($0)\": ")!.lowerBound }
        #expect(order == order.sorted())
    }

    @Test("control characters are escaped; quotes and backslashes too; non-ASCII and / stay raw")
    func escapes() throws {
        let s = "q\"b\\n\nt\tr\rb\u{8}f\u{C}c\u{1}\u{1F}\u{0}d\u{7F}/é😀\u{2028}"
        let expected = #""q\"b\\n\nt\tr\rb\bf\fc\u0001\u001f\u0000d"# + "\u{7F}/é😀\u{2028}\"\n"
        #expect(CanonicalJSON.string(.string(s)) == expected)
        // and the escaped form reads back to the same string
        #expect(try J(expected) == .string(s))
    }

    @Test("non-ASCII text is written as raw UTF-8 bytes")
    func rawUTF8() {
        #expect(CanonicalJSON.bytes(.string("é")) == [0x22, 0xC3, 0xA9, 0x22, 0x0A])
    }

    @Test("parse then write is idempotent", arguments: [
        #"{"z":{"b":[3,2,1],"a":"é\n"},"a":[{"y":null},{"x":true}],"":0}"#,
        #"[ 1 , "two" , { "three" : [ ] } ]"#,
        "{\n\t\"k\" :\t\"v\"\r\n}",
        #""just a string""#,
    ])
    func idempotent(input: String) throws {
        let once = CanonicalJSON.bytes(try J(input))
        let parsed = try JSONValue.parse(Data(once))
        #expect(parsed == (try J(input)))
        #expect(CanonicalJSON.bytes(parsed) == once)
        #expect(DocumentCodec.isCanonical(Data(once), parsed))
        #expect(!DocumentCodec.isCanonical(Data(input.utf8), parsed) || Data(input.utf8) == Data(once))
    }

    @Test("equal documents give equal bytes whatever the key order of the input")
    func keyOrderIndependent() throws {
        let a = try J(#"{"b":1,"a":{"y":2,"x":[{"q":1,"p":2}]}}"#)
        let b = try J(#"{ "a" : { "x" : [ { "p" : 2, "q" : 1 } ], "y" : 2 }, "b" : 1 }"#)
        #expect(a == b)
        #expect(CanonicalJSON.bytes(a) == CanonicalJSON.bytes(b))
    }

    @Test("the compact form is one line with sorted keys")
    func compact() throws {
        #expect(CanonicalJSON.compact(try J(#"{"b":[1,2],"a":{"d":null,"c":"x"},"e":[]}"#)) == #"{"a":{"c":"x","d":null},"b":[1,2],"e":[]}"#)
    }

    @Test("a typed document encodes canonically and decodes to itself")
    func typedRoundTrip() throws {
        let inv = try Fx.accepted()
        let data = DocumentCodec.encode(inv)
        let json = try JSONValue.parse(data)
        #expect(DocumentCodec.isCanonical(data, json))
        #expect(data == DocumentCodec.encode(try json.decode(Invoice.self)))
        #expect(try json.decode(Invoice.self) == inv)
        #expect(data.last == 0x0A)
        #expect(String(decoding: data, as: UTF8.self).hasPrefix("{\n  \"createdAt\": "))
        // absent optionals are left out, never written as null
        #expect(json["number"] == .string("A-00001"))
        #expect(json["note"] == nil)
        #expect(!String(decoding: data, as: UTF8.self).contains("null"))
    }

    @Test("non-canonical bytes of a canonical document are detected")
    func detectsNonCanonical() throws {
        let json = try J(#"{"a":1}"#)
        #expect(DocumentCodec.isCanonical(Data("{\n  \"a\": 1\n}\n".utf8), json))
        #expect(!DocumentCodec.isCanonical(Data("{\n  \"a\": 1\n}".utf8), json))        // no trailing newline
        #expect(!DocumentCodec.isCanonical(Data("{\n  \"a\": 1\n}\n\n".utf8), json))    // two
        #expect(!DocumentCodec.isCanonical(Data("{\n    \"a\": 1\n}\n".utf8), json))    // 4-space indent
        #expect(!DocumentCodec.isCanonical(Data("{\n  \"a\" : 1\n}\n".utf8), json))    // space before colon
        #expect(!DocumentCodec.isCanonical(Data("{\r\n  \"a\": 1\r\n}\r\n".utf8), json)) // CRLF
    }
}

@Suite("Bad input (SPEC §8)")
struct BadInputTests {
    @Test("malformed JSON is refused for the whole file", arguments: [
        "{", "", "{\"a\" 1}", "{'a': 1}", "nul", "[1,]", "{\"a\":1,}", "0123", "NaN", "{\"a\":1} x", "\"unterminated",
    ])
    func malformed(text: String) throws {
        let error = try #require(parseFailure(text))
        #expect(error.pointer == "")
        #expect(error.message.hasPrefix("is not valid JSON"))
    }

    @Test("non-UTF-8 bytes are refused with the offset of the first bad byte", arguments: [
        ([UInt8](#"{"a":""#.utf8) + [0xFF] + [UInt8](#""}"#.utf8), 6),
        ([0xC0, 0x80], 0),                                            // overlong NUL
        ([UInt8]("[\"".utf8) + [0xED, 0xA0, 0x80] + [UInt8]("\"]".utf8), 2), // UTF-8 encoded surrogate
        ([UInt8]("[\"é".utf8) + [0xE2, 0x82], 4),                      // truncated at the end
    ] as [([UInt8], Int)])
    func nonUTF8(bytes: [UInt8], offset: Int) throws {
        let error = try #require(parseFailure(Data(bytes)))
        #expect(error.pointer == "")
        #expect(error.message == "is not valid UTF-8 (at byte \(offset))")
    }

    @Test("conflict markers left by a textual merge are refused, naming the line", arguments: [
        ("{\n<<<<<<< ours\n  \"note\": \"a\"\n=======\n  \"note\": \"b\"\n>>>>>>> theirs\n}\n", 2),
        ("{\n  \"note\": \"a\"\n=======\n}\n", 3),
        ("{\n  \"note\": \"a\"\n>>>>>>> theirs\n}\n", 3),
        ("{\n|||||||\n}\n", 2),
        ("{\r\n  \"a\": 1\r\n=======\r\n}\r\n", 3),
        ("<<<<<<< HEAD\n", 1),
        ("{\n  \"a\": 1\n}\n=======", 4),
    ])
    func conflictMarkers(text: String, line: Int) throws {
        let error = try #require(parseFailure(text))
        #expect(error.pointer == "")
        #expect(error.message.contains("merge conflict marker on line \(line)"))
    }

    @Test("a conflict marker is refused even where it falls inside a string value")
    func markerInsideString() throws {
        // Raw newlines inside the string: the marker check runs before (and regardless of) JSON parsing.
        let text = "{\n  \"note\": \"first\n<<<<<<< ours\nsecond\"\n}\n"
        let error = try #require(parseFailure(text))
        #expect(error.message.contains("merge conflict marker on line 3"))
    }

    @Test("text that only resembles a marker is not one", arguments: [
        "{\n  \"note\": \"<<<<<<< ours\"\n}\n",        // indented, inside a string
        "{\"note\": \"=======\"}",
        "{\n  \"note\": \"x\"\n}\n",
        "[\n\"=======x\"\n]",
        "{\"a\": \"\\n<<<<<<< escaped newline\"}",
    ])
    func notMarkers(text: String) throws {
        #expect(parseFailure(text) == nil)
    }

    @Test("markers are reported by the line-finder exactly where they start a line")
    func markerLineFinder() {
        #expect(JSONValue.conflictMarkerLine(Data("a\nb\n>>>>>>> x\n".utf8)) == 3)
        #expect(JSONValue.conflictMarkerLine(Data("a\n =======\n".utf8)) == nil)
        #expect(JSONValue.conflictMarkerLine(Data("a\n======= x\n".utf8)) == nil)
        #expect(JSONValue.conflictMarkerLine(Data("a\n<<<<<<<\n".utf8)) == nil)   // git always writes a label after the marker
    }

    @Test("nesting deeper than maxDepth is refused before parsing; maxDepth itself is fine")
    func depth() throws {
        let limit = JSONLimits.maxDepth
        let ok = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(parseFailure(ok) == nil)
        let tooDeep = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        let error = try #require(parseFailure(tooDeep))
        #expect(error.message == "is nested more than \(limit) levels deep")
        #expect(error.pointer == "")
        // a hostile million brackets is refused quickly, without recursion
        let hostile = try #require(parseFailure(String(repeating: "{\"a\":[", count: 500_000)))
        #expect(hostile.message.contains("nested more than"))
    }

    @Test("brackets inside strings do not count as nesting")
    func bracketsInStrings() throws {
        let deepText = String(repeating: "[{", count: 100)
        let doc = try J(#"{"a": "\#(deepText)", "b": "\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}"#)
        #expect(doc["a"] == .string(deepText))
    }

    @Test("files larger than maxDocumentBytes are refused with their size")
    func size() throws {
        let limit = JSONLimits.maxDocumentBytes
        var big = Data("[".utf8)
        big.append(Data(repeating: 0x20, count: limit - 2))
        big.append(Data("]".utf8))
        #expect(big.count == limit)
        #expect(parseFailure(big) == nil)
        big.insert(0x20, at: 1)
        let error = try #require(parseFailure(big))
        #expect(error.message == "file is \(limit + 1) bytes; documents are limited to \(limit) bytes")
    }

    @Test("a fractional number is refused with the pointer of its field", arguments: [
        (#"{"lines":[{"unitPrice":1.5}]}"#, "/lines/0/unitPrice", "1.5"),
        (#"{"a/b":{"m~n":[0,0.25]}}"#, "/a~1b/m~0n/1", "0.25"),
        (#"[-2.5]"#, "/0", "-2.5"),
        (#"{"x":1e-3}"#, "/x", "0.001"),
        (#"3.25"#, "", "3.25"),
    ])
    func fractions(text: String, pointer: String, shown: String) throws {
        let error = try #require(parseFailure(text))
        #expect(error.pointer == pointer)
        #expect(error.message.contains("(\(shown))"))
        #expect(error.message.contains("fraction"))
        #expect(error.description == (pointer.isEmpty ? error.message : "\(pointer): \(error.message)"))
    }

    @Test("integers beyond Int64 are refused with the pointer of their field", arguments: [
        (#"{"totals":{"total":9223372036854775808}}"#, "/totals/total"),
        (#"{"a":[-9223372036854775809]}"#, "/a/0"),
        (#"{"n":100000000000000000000000}"#, "/n"),
    ])
    func tooLarge(text: String, pointer: String) throws {
        let error = try #require(parseFailure(text))
        #expect(error.pointer == pointer)
        #expect(error.message.contains("number"))
    }

    @Test("trailing commas are refused, commas inside strings are not", arguments: [
        ("[1,]", "\"]\""), ("{\"a\":1,}", "\"}\""), ("[1, 2 ,\n  ]", "\"]\""), ("{\"a\":[\"x\",\t]}", "\"]\""),
    ])
    func trailingCommas(text: String, before: String) throws {
        let error = try #require(parseFailure(text))
        #expect(error.pointer == "")
        #expect(error.message.hasPrefix("is not valid JSON"))
        #expect(error.message.contains("comma before \(before)"))
    }

    @Test("commas and brackets inside strings are plain text")
    func commasInStrings() throws {
        #expect(try J(#"{"a": ",]", "b": [",}"], "c": "\",]"}"#)["a"] == .string(",]"))
    }

    @Test("integral values written with a fraction or an exponent are refused too", arguments: [
        (#"{"unitPrice":4900.0}"#, "/unitPrice"), (#"{"unitPrice":49e2}"#, "/unitPrice"), (#"[0,1E1]"#, "/1"),
    ])
    func integralFractions(text: String, pointer: String) throws {
        let error = try #require(parseFailure(text))
        #expect(error.pointer == pointer)
    }

    @Test("numbers beyond any binary range are refused too")
    func hugeExponent() {
        #expect(parseFailure(#"{"n":1e400}"#) != nil)
    }

    @Test("Int64's own limits are accepted exactly")
    func int64Limits() throws {
        #expect(try J("[9223372036854775807,-9223372036854775808,0,-0]") == .array([.int(.max), .int(.min), .int(0), .int(0)]))
    }

    @Test("duplicate object keys are refused, since one value would be silently dropped")
    func duplicateKeys() throws {
        let top = try #require(parseFailure(#"{"status":"draft","status":"accepted"}"#))
        #expect(top.pointer == "/status")
        #expect(top.message.contains("twice"))
        #expect(top.rule == "json/duplicate-key")
        let nested = try #require(parseFailure(#"{"lines":[{"id":"l1"},{"id":"l2","qty":"1","qty":"2"}]}"#))
        #expect(nested.pointer == "/lines/1/qty")
        // The same key written two ways is still the same key.
        #expect(parseFailure(#"{"a":1,"\u0061":2}"#)?.pointer == "/a")
        // The same key in sibling objects, or as a value, is fine.
        #expect(try J(#"{"a":{"a":"a"},"b":[{"a":1},{"a":2}],"c":"a"}"#) != .null)
        #expect(try J(#"{"a\"b":1,"a":2}"#) == .object(["a\"b": .int(1), "a": .int(2)]))
    }

    @Test("DocumentCodec names the file and uses json/syntax for whole-file problems")
    func codecSyntax() throws {
        do {
            _ = try DocumentCodec.parse(Data("{".utf8), file: "invoices/aa/bb/x.json")
            Issue.record("expected a failure")
        } catch {
            let f = try #require(error.findings.first)
            #expect(error.findings.count == 1)
            #expect(f.rule == "json/syntax")
            #expect(f.file == "invoices/aa/bb/x.json")
            #expect(f.pointer == "")
            #expect(f.description.hasPrefix("invoices/aa/bb/x.json: error[json/syntax]: is not valid JSON"))
        }
    }

    @Test("DocumentCodec uses json/number for a bad number and points at it")
    func codecNumber() throws {
        do {
            _ = try DocumentCodec.parse(Data(#"{"lines":[{"unitPrice":49.5}]}"#.utf8), file: "f.json")
            Issue.record("expected a failure")
        } catch {
            let f = try #require(error.findings.first)
            #expect(f.rule == "json/number")
            #expect(f.pointer == "/lines/0/unitPrice")
            #expect(f.description.hasPrefix("f.json#/lines/0/unitPrice: error[json/number]: "))
        }
    }

    @Test("DocumentCodec refuses a conflict-marked file as json/syntax naming the line")
    func codecMarkers() throws {
        do {
            _ = try DocumentCodec.parse(Data("{\n<<<<<<< a\n}\n".utf8), file: "orders/aa/bb/o.json")
            Issue.record("expected a failure")
        } catch {
            #expect(error.findings.map(\.rule) == ["json/syntax"])
            #expect(error.description.contains("orders/aa/bb/o.json"))
            #expect(error.description.contains("line 2"))
        }
    }
}

@Suite("Direct JSON values of small documents")
struct DirectJSONValueTests {
    @Test("Customer.jsonValue and Totals.jsonValue are exactly what Codable gives", arguments: [
        Customer(id: "C1"), Customer(id: "C2", name: "Bea", email: "b@x.example", externalId: "E-1"), Customer(id: "C3", email: "c@x.example"),
    ])
    func sameAsCodable(customer: Customer) {
        #expect(customer.jsonValue == JSONValue.encoding(customer))
        let totals = Totals(subtotal: 1, discount: -2, tax: 3, total: .max, paid: .min, open: 0)
        #expect(totals.jsonValue == JSONValue.encoding(totals))
    }
}
