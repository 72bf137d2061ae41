import Foundation
import Testing
@testable import FolioModel

/// `JSONReader`, the one reader of JSON bytes: what it builds, and where it says a problem is.
@Suite struct JSONReaderTests {
    @Test("a syntax problem names its line and column", arguments: [
        ("{\n  \"a\": 1\n  \"b\": 2\n}\n", "unexpected \"\"\" at line 3, column 3"),
        ("{\n  \"a\": tru\n}", "unexpected \"t\" at line 2, column 8"),
        ("[1, 2", "the file ends in the middle of a value (line 1, column 6)"),
        ("{\"a\": \"x\ny\"}", "a control character (byte 0x0A) inside a string at line 1, column 9"),
        ("[\"\\x\"]", "an invalid escape at line 1, column 3"),
        ("[01]", "unexpected \"1\" at line 1, column 3"),
    ])
    func syntaxPositions(text: String, expected: String) throws {
        let error = try #require(parseFailure(text))
        #expect(error.rule == "json/syntax")
        #expect(error.message.hasPrefix("is not valid JSON: " + expected))
    }

    @Test("escapes decode to the characters they name, surrogate pairs to one scalar")
    func escapes() throws {
        #expect(try J(#"["\u00e9\n\t\"\\\/", "\ud83d\ude00", "\u0000"]"#) == .array([.string("é\n\t\"\\/"), .string("😀"), .string("\u{0}")]))
        // Keys too, and a key written two ways is one key.
        #expect(try J(#"{"\u0063af\u00e9": 1}"#) == .object(["café": .int(1)]))
    }

    @Test("an escaped surrogate without its pair is refused", arguments: [#"["\ud83d"]"#, #"["\ude00x"]"#, #"["\ud83d\u0041"]"#])
    func loneSurrogates(text: String) throws {
        let error = try #require(parseFailure(text))
        #expect(error.message.contains("surrogate without its pair"))
    }

    @Test("request bodies read whole numbers as I-JSON does; fractions and numbers beyond 2^53 are refused")
    func wholeFloats() throws {
        let read = { (text: String) throws(JSONInputError) in try JSONValue.parse(Data(text.utf8), wholeFloats: true) }
        #expect(try read("[1.0, 2e3, -0.0, 9007199254740992, 9007199254740992.0, -9007199254740992e0, 1.5e1, 2.50e1, 0e400, 0.000]")
                == .array([.int(1), .int(2000), .int(0), .int(9_007_199_254_740_992), .int(9_007_199_254_740_992), .int(-9_007_199_254_740_992),
                           .int(15), .int(25), .int(0), .int(0)]))
        // Decided on the digits: a Double would round each of these to a whole number within 2^53.
        for (text, words) in [("[1.5]", "fraction"), ("[9007199254740993]", "beyond"), ("[1e300]", "beyond"), ("[-9223372036854775809]", "beyond"),
                              ("[9007199254740993.0]", "beyond"), ("[9007199254740993e0]", "beyond"), ("[9007199254740992.5]", "beyond"),
                              ("[1.0000000000000000001]", "fraction"), ("[1e-400]", "fraction"), ("[1e99999999999999999999]", "beyond")] {
            do { _ = try read(text); Issue.record("\(text) was accepted") } catch {
                #expect(error.rule == "json/number")
                #expect(error.pointer == "/0")
                #expect(error.message.contains(words), "\(text): \(error.message)")
            }
        }
    }

    @Test("numbers keep their exact integer value at Int64's edges and never pass through a Double")
    func exactIntegers() throws {
        #expect(try J("[9007199254740993, -9223372036854775808]") == .array([.int(9_007_199_254_740_993), .int(.min)]))
    }
}

/// Foundation's JSONSerialization as an outside witness of JSON syntax: on thousands of
/// mutated documents, whatever `JSONReader` accepts Foundation accepts with the same value,
/// and whatever it refuses that Foundation accepts is refused for one of Folio's own rules
/// (SPEC §1, §8: integers only, one value per key, no trailing commas, bounded depth, no
/// conflict markers).
@Suite struct JSONReaderWitnessTests {
    static let seedDocument = #"""
    {
      "a": [1, -2, 0, 9223372036854775807, -9223372036854775808, true, false, null],
      "b": {"c": "caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \n\t", "d": [], "e": {}},
      "f": "plain ascii",
      "g": [[{"h": [[[0]]]}]],
      "i": "é😀"
    }
    """#
    static let alphabet = Array("{}[]:,\"\\u0123456789-+.eEtrufalsn \n\t\r\u{00e9}dD8".utf8)

    /// A Foundation value as Folio reads it, or nil when it holds something Folio refuses on
    /// its own terms (a fraction).
    static func folio(_ any: Any) -> JSONValue? {
        switch any {
        case let s as String: return .string(s)
        case is NSNull: return .null
        case let a as [Any]:
            var out: [JSONValue] = []
            for e in a { guard let v = folio(e) else { return nil }; out.append(v) }
            return .array(out)
        case let o as [String: Any]:
            var out: [String: JSONValue] = [:]
            for (k, e) in o { guard let v = folio(e) else { return nil }; out[k] = v }
            return .object(out)
        case let n as NSNumber:
            // Foundation hands Int64.min over as a decimal; it is still an Int64.
            if n is NSDecimalNumber { return Int64(n.stringValue).map(JSONValue.int) }
            switch n.objCType.pointee {
            case 0x63, 0x42: return .bool(n.boolValue)
            case 0x64, 0x66: return nil
            default: return .int(n.int64Value)
            }
        default: return nil
        }
    }

    @Test("mutated documents: JSONReader never accepts what Foundation refuses, and agrees on values")
    func witness() throws {
        var rng = SplitMix64(state: 20261203)
        let seed = Array(Self.seedDocument.utf8)
        var accepted = 0, refusedByBoth = 0, refusedByFolioRules = 0
        for _ in 0..<20000 {
            var bytes = seed
            for _ in 0..<(1 + rng.int(3)) {
                let at = rng.int(bytes.count)
                switch rng.int(3) {
                case 0: bytes[at] = Self.alphabet[rng.int(Self.alphabet.count)]
                case 1: bytes.remove(at: at)
                default: bytes.insert(Self.alphabet[rng.int(Self.alphabet.count)], at: at)
                }
            }
            let data = Data(bytes)
            let theirs = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            let ours: Result<JSONValue, JSONInputError>
            do throws(JSONInputError) { ours = .success(try JSONValue.parse(data)) } catch { ours = .failure(error) }
            switch ours {
            case .success(let value):
                let witness = try #require(theirs, "JSONReader accepted what Foundation refuses: \(String(decoding: bytes, as: UTF8.self))")
                #expect(Self.folio(witness) == value, "\(String(decoding: bytes, as: UTF8.self))")
                accepted += 1
            case .failure(let error):
                if theirs == nil { refusedByBoth += 1; continue }
                let folioRules = ["fraction", "too large", "twice", "trailing commas", "nested more than", "merge conflict marker", "surrogate", "UTF-8"]
                #expect(folioRules.contains { error.message.contains($0) }, "refused what Foundation reads, for no Folio rule: \(error.message) in \(String(decoding: bytes, as: UTF8.self))")
                refusedByFolioRules += 1
            }
        }
        // The mutations reach all three outcomes, so the test can fail each way.
        #expect(accepted > 100 && refusedByBoth > 100 && refusedByFolioRules > 10, "\(accepted) \(refusedByBoth) \(refusedByFolioRules)")
    }
}
