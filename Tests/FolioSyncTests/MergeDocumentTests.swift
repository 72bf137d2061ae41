import Foundation
import Testing
import FolioModel
@testable import FolioSync

/// `TreeMerger.mergeDocument`: the bytes-in, bytes-out merge that `folio sync` and the git
/// merge driver share. The field rules themselves are tested in FolioModelTests; these tests
/// hold the byte boundary: what is refused, and that the result does not depend on the order.
@Suite("One document merged as bytes")
struct MergeDocumentTests {
    let path = ".folio/parties.json"
    let base = Data(#"{"parties":{"a@x.example":{"name":"Ann","role":"seller"}}}"#.utf8)
    let ours = Data(#"{"parties":{"a@x.example":{"name":"Ann Lee","role":"seller"}}}"#.utf8)
    let theirs = Data(#"{"parties":{"a@x.example":{"name":"Ann","role":"seller"},"b@y.example":{"customerId":"C1","role":"buyer"}}}"#.utf8)
    let sideA = MergeSide(commit: String(repeating: "a", count: 40), author: "a@x.example")
    let sideB = MergeSide(commit: String(repeating: "b", count: 40), author: "b@y.example")

    func merge(_ base: Data?, _ ours: Data?, _ theirs: Data?, path: String? = nil, records: Bool = true) throws -> Data? {
        try TreeMerger.mergeDocument(path: path ?? self.path, base: base, ours: ours, theirs: theirs, oursSide: sideA, theirsSide: sideB,
                                     recordConflicts: records).data
    }

    @Test("changes to different fields both arrive, in canonical bytes, whichever side merges")
    func bothSidesArrive() throws {
        let ab = try #require(try merge(base, ours, theirs))
        let ba = try TreeMerger.mergeDocument(path: path, base: base, ours: theirs, theirs: ours, oursSide: sideB, theirsSide: sideA).data
        #expect(ab == ba)
        let json = try JSONValue.parse(ab)
        #expect(json["parties"]?["a@x.example"]?["name"]?.stringValue == "Ann Lee")
        #expect(json["parties"]?["b@y.example"]?["customerId"]?.stringValue == "C1")
        #expect(ab == Data(CanonicalJSON.bytes(json)), "written in canonical form")
    }

    @Test("a file that is not a Folio document is left to git, with its path named")
    func notAFolioDocument() {
        #expect {
            _ = try merge(Data("a\n".utf8), Data("b\n".utf8), Data("c\n".utf8), path: "README.md")
        } throws: { error in
            "\(error)".contains("README.md") && "\(error)".contains("not a Folio document")
        }
    }

    @Test("conflict markers or broken JSON on one side stop the merge and name the side and the file")
    func unreadableSide() {
        let markers = Data("{\n<<<<<<< HEAD\n\"parties\": {}\n=======\n\"parties\": {\"x\": 1}\n>>>>>>> theirs\n}\n".utf8)
        for (label, bad) in [("conflict marker", markers), ("not valid JSON", Data("{ nope".utf8))] {
            #expect {
                _ = try merge(base, ours, bad)
            } throws: { error in
                let text = "\(error)"
                return text.contains(path) && text.contains("their version") && text.contains(label)
            }
        }
    }

    @Test("the virtual-base merge (git's merge.folio.recursive) records nothing and ignores which commit is which")
    func virtualBase() throws {
        let left = Data(#"{"parties":{"a@x.example":{"name":"Left","role":"seller"}}}"#.utf8)
        let right = Data(#"{"parties":{"a@x.example":{"name":"Right","role":"seller"}}}"#.utf8)
        let none = MergeSide(commit: nil, author: nil)
        let one = try TreeMerger.mergeDocument(path: path, base: base, ours: left, theirs: right, oursSide: none, theirsSide: none, recordConflicts: false)
        let two = try TreeMerger.mergeDocument(path: path, base: base, ours: right, theirs: left, oursSide: none, theirsSide: none, recordConflicts: false)
        #expect(one.outcome.conflicts.isEmpty && two.outcome.conflicts.isEmpty)
        #expect(one.data == two.data)
        #expect(!(String(decoding: try #require(one.data), as: UTF8.self).contains("conflicts")))
    }
}
