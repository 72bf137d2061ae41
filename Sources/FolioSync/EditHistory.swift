import Foundation
import FolioGit
import FolioModel

/// The commits that changed one document on one side of a merge, since the merge base(s):
/// where a field got the value this side holds (issue 10, 9a). A merge commit at the head of a
/// side only carries values; the edit is the commit whose version has the value while none of
/// its parents' versions does.
struct EditHistory: Sendable {
    struct Step: Sendable {
        var origin: EditOrigin
        var version: JSONValue?
        var parents: [JSONValue?]
    }

    let steps: [Step]

    init(git: GitRepository, path: String, head: GitOID, bases: [GitOID]) throws {
        func parse(_ data: Data?) -> JSONValue? { data.flatMap { try? DocumentCodec.parse($0, file: path) } }
        var steps: [Step] = []
        for (info, blob) in try git.log(path: path, from: head, hiding: bases) {
            let version = parse(try blob.map { try git.readBlob($0) })
            let parents = try info.parents.map { parse(try git.readFile(path: path, at: $0)) }
            steps.append(Step(origin: EditOrigin(commit: info.id.hex, author: info.author.email, time: info.author.time),
                              version: version, parents: parents))
        }
        self.steps = steps
    }

    /// The newest commit that gave `path` the value `value` (nil: not found since the base).
    func origin(_ path: [ValuePath.Step], _ value: JSONValue?) -> EditOrigin? {
        steps.filter { step in
            ValuePath.value(at: path, in: step.version) == value && step.parents.allSatisfy { ValuePath.value(at: path, in: $0) != value }
        }
        .map(\.origin)
        .max { ($0.time, $0.commit) < ($1.time, $1.commit) }
    }

    /// Both sides of a document's merge, with their conflicts decided by the edits.
    static func sides(git: GitRepository, path: String, ours: GitOID, theirs: GitOID, bases: [GitOID],
                      oursSide: MergeSide, theirsSide: MergeSide) throws -> (MergeSide, MergeSide) {
        let o = try EditHistory(git: git, path: path, head: ours, bases: bases)
        let t = try EditHistory(git: git, path: path, head: theirs, bases: bases)
        return (MergeSide(commit: oursSide.commit, author: oursSide.author, origin: { o.origin($0, $1) }),
                MergeSide(commit: theirsSide.commit, author: theirsSide.author, origin: { t.origin($0, $1) }))
    }
}
