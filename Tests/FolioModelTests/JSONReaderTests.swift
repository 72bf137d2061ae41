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
        #expect(try read("[1.0, 2e3, -0.0, 9007199254740992]") == .array([.int(1), .int(2000), .int(0), .int(9_007_199_254_740_992)]))
        for (text, words) in [("[1.5]", "fraction"), ("[9007199254740993]", "beyond"), ("[1e300]", "beyond"), ("[-9223372036854775809]", "beyond")] {
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
