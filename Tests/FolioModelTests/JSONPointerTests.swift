import Foundation
import Testing
@testable import FolioModel

@Suite("JSON Pointer (RFC 6901)")
struct JSONPointerTests {
    /// The example document of RFC 6901 §5.
    static let rfcDocument = #"""
    {
      "foo": ["bar", "baz"],
      "": 0,
      "a/b": 1,
      "c%d": 2,
      "e^f": 3,
      "g|h": 4,
      "i\\j": 5,
      "k\"l": 6,
      " ": 7,
      "m~n": 8
    }
    """#

    @Test("the RFC 6901 §5 examples resolve as the RFC says", arguments: [
        ("/foo", #"["bar","baz"]"#), ("/foo/0", #""bar""#), ("/", "0"), ("/a~1b", "1"), ("/c%d", "2"), ("/e^f", "3"),
        ("/g|h", "4"), (#"/i\j"#, "5"), (#"/k"l"#, "6"), ("/ ", "7"), ("/m~0n", "8"), ("/foo/1", #""baz""#),
    ])
    func rfcExamples(pointer: String, value: String) throws {
        let doc = try J(Self.rfcDocument)
        #expect(try JSONPointer(parsing: pointer).get(doc) == (try J(value)))
    }

    @Test("the empty pointer is the whole document, and \"/\" is the member named \"\"")
    func rootVersusEmptyKey() throws {
        let doc = try J(Self.rfcDocument)
        let root = try JSONPointer(parsing: "")
        #expect(root.tokens.isEmpty)
        #expect(root.get(doc) == doc)
        let slash = try JSONPointer(parsing: "/")
        #expect(slash.tokens == [""])
        #expect(slash.get(doc) == .int(0))
        #expect(slash.description == "/")
        #expect(root.description == "")
    }

    @Test("tokens are unescaped ~1 then ~0, so ~01 is the literal ~1", arguments: [
        ("/a//b", ["a", "", "b"]), ("/~01", ["~1"]), ("/~10", ["/0"]), ("/a~1b~0c", ["a/b~c"]), ("//", ["", ""]),
        ("/lines/0/quantity", ["lines", "0", "quantity"]), ("/é/😀", ["é", "😀"]),
    ])
    func tokens(text: String, tokens: [String]) throws {
        let p = try JSONPointer(parsing: text)
        #expect(p.tokens == tokens)
        #expect(p.description == text)
    }

    @Test("malformed pointers are refused with a sentence", arguments: ["a", "foo/bar", "/~", "/~2", "/a~", "/~a", "#/foo"])
    func malformed(text: String) {
        do {
            _ = try JSONPointer(parsing: text)
            Issue.record("\(text) should be refused")
        } catch {
            #expect(error.pointer == text)
            #expect(error.message.contains("JSON Pointer") || error.message.contains("~"))
        }
    }

    @Test("\"/a//b\" walks through the member named \"\"")
    func emptyMiddleToken() throws {
        let doc = try J(#"{"a":{"":{"b":42}}}"#)
        #expect(try JSONPointer(parsing: "/a//b").get(doc) == .int(42))
        #expect(try JSONPointer(parsing: "/a/b").get(doc) == nil)
    }

    @Test("array indexes are non-negative decimals without leading zeros; \"-\" is never a value", arguments: [
        ("/foo/0", true), ("/foo/1", true), ("/foo/2", false), ("/foo/01", false), ("/foo/-", false), ("/foo/-1", false),
        ("/foo/+1", false), ("/foo/1.0", false), ("/foo/ 1", false), ("/foo/", false), ("/foo/١", false),
        ("/foo/99999999999999999999999", false),
    ])
    func arrayIndexes(pointer: String, found: Bool) throws {
        let doc = try J(Self.rfcDocument)
        #expect((try JSONPointer(parsing: pointer).get(doc) != nil) == found)
    }

    @Test("a pointer through a scalar or a missing member finds nothing")
    func missing() throws {
        let doc = try J(Self.rfcDocument)
        #expect(try JSONPointer(parsing: "/foo/0/x").get(doc) == nil)
        #expect(try JSONPointer(parsing: "/nope").get(doc) == nil)
        #expect(try JSONPointer(parsing: "/ /x").get(doc) == nil)
    }

    @Test("escape and description round-trip keys with / and ~")
    func escaping() throws {
        #expect(JSONPointer.escape("a/b~c") == "a~1b~0c")
        let p = JSONPointer(tokens: ["a/b", "m~n", ""]).appending(3).appending("x")
        #expect(p.description == "/a~1b/m~0n//3/x")
        #expect(try JSONPointer(parsing: p.description) == p)
    }

    @Test("set replaces a member, adds a new member and replaces an array item")
    func setValues() throws {
        let doc = try J(#"{"a":{"b":1},"list":[1,2,3]}"#)
        #expect(try setting("/a/b", .int(2), in: doc) == (try J(#"{"a":{"b":2},"list":[1,2,3]}"#)))
        #expect(try setting("/a/c", .string("x"), in: doc) == (try J(#"{"a":{"b":1,"c":"x"},"list":[1,2,3]}"#)))
        #expect(try setting("/list/1", .null, in: doc) == (try J(#"{"a":{"b":1},"list":[1,null,3]}"#)))
        #expect(try setting("", .int(7), in: doc) == .int(7))
        #expect(try setting("/", .int(7), in: doc) == (try J(#"{"":7,"a":{"b":1},"list":[1,2,3]}"#)))
    }

    @Test("set with \"-\" or the array's count appends")
    func append() throws {
        let doc = try J(#"{"list":[1,2]}"#)
        #expect(try setting("/list/-", .int(3), in: doc) == (try J(#"{"list":[1,2,3]}"#)))
        #expect(try setting("/list/2", .int(3), in: doc) == (try J(#"{"list":[1,2,3]}"#)))
        #expect(try setting("/list/-", .object([:]), in: try J(#"{"list":[]}"#)) == (try J(#"{"list":[{}]}"#)))
    }

    @Test("set refuses indexes past the end, missing parents and scalars, naming where", arguments: [
        ("/list/3", "/list/3", "is not an index"),
        ("/list/01", "/list/01", "is not an index"),
        ("/list/-/x", "/list/-", "does not exist"),
        ("/missing/x", "/missing", "does not exist"),
        ("/s/x", "/s", "is a string"),
        ("/list/0/x", "/list/0", "is an integer"),
    ])
    func setRefusals(pointer: String, at: String, message: String) throws {
        let doc = try J(#"{"list":[1,2],"s":"text"}"#)
        do {
            _ = try setting(pointer, .int(0), in: doc)
            Issue.record("\(pointer) should be refused")
        } catch let error as JSONInputError {
            #expect(error.pointer == at)
            #expect(error.message.contains(message))
        }
    }
}

@Suite("JSON Merge Patch (RFC 7396)")
struct MergePatchTests {
    /// RFC 7396 Appendix A, all of it.
    @Test("the RFC 7396 Appendix A examples", arguments: [
        (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
        (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
        (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
        (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
        (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
        (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
        (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
        (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
        (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
        (#"{"a":"foo"}"#, "null", "null"),
        (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
        (#"{"e":null}"#, #"{"a":1}"#, #"{"e":null,"a":1}"#),
        (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
        (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
    ])
    func appendixA(target: String, patch: String, result: String) throws {
        #expect(MergePatch.apply(try J(patch), to: try J(target)) == (try J(result)))
    }

    @Test("the RFC 7396 §3 example: nested merge, null deletes, arrays replace")
    func section3() throws {
        let target = try J(#"""
        {"title": "Goodbye!", "author": {"givenName": "John", "familyName": "Doe"}, "tags": ["example", "sample"], "content": "This will be unchanged"}
        """#)
        let patch = try J(#"""
        {"title": "Hello!", "phoneNumber": "+01-123-456-7890", "author": {"familyName": null}, "tags": ["example"]}
        """#)
        let expected = try J(#"""
        {"title": "Hello!", "author": {"givenName": "John"}, "tags": ["example"], "content": "This will be unchanged", "phoneNumber": "+01-123-456-7890"}
        """#)
        #expect(MergePatch.apply(patch, to: target) == expected)
    }

    @Test("an array of lines is replaced whole, never merged item by item")
    func linesReplace() throws {
        let inv = jsonOf(try Fx.invoice())
        let patched = MergePatch.apply(try J(#"{"lines":[{"id":"l-i1"}],"note":"Thanks"}"#), to: inv)
        #expect(patched["lines"]?.arrayValue?.count == 1)
        #expect(patched["note"] == .string("Thanks"))
        #expect(patched["id"] == inv["id"])
    }
}
