import Testing
@testable import FolioModel

/// CanonicalJSON orders keys by their UTF-8 bytes through a contiguous-storage comparison;
/// it must agree with the plain byte-sequence order on any strings.
@Suite struct CanonicalJSONOrderTests {
    @Test func keyOrderIsUTF8ByteOrder() {
        let pieces = ["", "a", "b", "A", "é", "e\u{301}", "z", "ä", "€", "😀", "-", "_", "0", "aa", "ab", "\u{0}", "ß", "ǅ"]
        var rng = SplitMix64(state: 42)
        for _ in 0..<5_000 {
            let a = (0..<rng.int(4)).map { _ in pieces[rng.int(pieces.count)] }.joined()
            let b = (0..<rng.int(4)).map { _ in pieces[rng.int(pieces.count)] }.joined()
            #expect(CanonicalJSON.utf8Precedes(a, b) == a.utf8.lexicographicallyPrecedes(b.utf8), "\(a.debugDescription) \(b.debugDescription)")
        }
    }

    @Test func stringsNeedingEscapesAndPlainOnesAreWrittenAsBefore() {
        let value: JSONValue = .object(["plain": .string("INV-2026 é 😀"), "quote\"key": .string("a\"b\\c\nd\u{1}e\tf")])
        #expect(CanonicalJSON.string(value) == "{\n  \"plain\": \"INV-2026 é 😀\",\n  \"quote\\\"key\": \"a\\\"b\\\\c\\nd\\u0001e\\tf\"\n}\n")
    }
}
