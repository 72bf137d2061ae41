import Foundation
import Testing
@testable import FolioModel

/// SPEC §4 across documents (issue 10, defect 9): two seller replicas each take every
/// sequence of up to two actions that touch more than one document (credit notes, invoices
/// from order items, parts, cancellations, voids), the repositories are merged path by path,
/// and the whole repository is validated. Every error must sit in a document that carries a
/// conflict record naming what must be decided.
@Suite("Merge: every pair of cross-document actions, validated as a repository")
struct RepositoryMergeExhaustiveTests {
    typealias Files = [String: Data]
    typealias Action = (name: String, apply: @Sendable (Files, _ replica: Int, _ step: Int) throws -> Files?)

    static let seller2 = Actor(email: "sue@seller.example", party: Party(name: "Sue", role: .seller, series: "B"))
    static let o2 = RepoFixture.orderPath("o2"), inv2 = RepoFixture.invoicePath("inv-2"), inv3 = RepoFixture.invoicePath("inv-3")

    static func load<T: Decodable>(_ files: Files, _ path: String, _ type: T.Type) throws -> T {
        try JSONValue.parse(files[path]!).decode(T.self)
    }

    static func put<T: Encodable>(_ files: inout Files, _ path: String, _ value: T) { files[path] = DocumentCodec.encode(value) }

    static func actor(_ r: Int) -> Actor { r == 0 ? Fx.seller : seller2 }
    static func stamp(_ r: Int, _ s: Int) -> Invoicing.Stamp { Fx.stamp(actor(r), minute: 30 + s) }

    /// The next number of the replica's own series (replicas never share one).
    static func number(_ files: inout Files, _ r: Int) throws -> String {
        let prefix = r == 0 ? "A" : "B"
        var state = try load(files, DocumentPaths.series(prefix), SeriesState.self)
        state.last += 1
        put(&files, DocumentPaths.series(prefix), state)
        return "\(prefix)-" + String(format: "%05d", state.last)
    }

    static func credit(_ selection: [String]?) -> @Sendable (Files, Int, Int) throws -> Files? {
        { files, r, s in
            var out = files
            let invoice = try load(files, inv2, Invoice.self)
            let credits = try files.filter { DocumentPaths.parse($0.key)?.kind == .invoice }.map { try JSONValue.parse($0.value).decode(Invoice.self) }
                .filter { $0.creditNoteFor == invoice.id && Workflow.status(events: $0.events, revision: $0.revision) != .voided }
            let id = "cn-r\(r)s\(s)"
            guard let made = try? Invoicing.credit(invoice, selections: selection?.map(Invoicing.Selection.init(parsing:)), existingCredits: credits,
                                                  id: id, number: "X", reason: "returned", eventID: "ev-cn-r\(r)s\(s)", stamp: stamp(r, s)) else { return nil }
            let number = try Self.number(&out, r)
            let (note, target) = try Invoicing.credit(invoice, selections: selection?.map(Invoicing.Selection.init(parsing:)), existingCredits: credits,
                                                      id: id, number: number, reason: "returned", eventID: "ev-cn-r\(r)s\(s)", stamp: stamp(r, s))
            _ = made
            put(&out, RepoFixture.invoicePath(id), try note.derived())
            put(&out, inv2, try target.derived())
            return out
        }
    }

    static func invoiceItems(_ refs: [String]) -> @Sendable (Files, Int, Int) throws -> Files? {
        { files, r, s in
            var out = files
            let order = try load(files, o2, Order.self)
            let id = "inv-r\(r)s\(s)"
            guard let (invoice, updated) = try? Invoicing.create(from: order, refs: refs, id: id, config: Fx.config, stamp: stamp(r, s), dueDate: nil, distribution: nil) else { return nil }
            put(&out, RepoFixture.invoicePath(id), try invoice.derived())
            put(&out, o2, updated)
            return out
        }
    }

    static let actions: [Action] = [
        ("credit inv-2 whole", credit(nil)),
        ("credit 1 of inv-2's line", credit(["l-i3:1"])),
        ("lower inv-3 to 4", { files, r, s in
            var out = files
            let old = try load(files, inv3, Invoice.self)
            var new = old
            new.lines[0].quantity = "4"
            guard let edited = try? Workflow.edit(old: old, new: new, oldJSON: jsonOf(old), newJSON: jsonOf(new), by: actor(r), at: Fx.ts(30 + s)).derived(),
                  edited != old, let order = try? Invoicing.retake(try load(files, o2, Order.self), for: edited) else { return nil }
            put(&out, inv3, edited)
            put(&out, o2, order)
            return out
        }),
        ("invoice the rest of j1", invoiceItems(["j1"])),
        ("invoice 3 of j1", invoiceItems(["j1:3"])),
        ("void inv-3", { files, r, s in
            var out = files
            let invoice = try load(files, inv3, Invoice.self)
            guard let voided = try? Workflow.void(invoice, by: actor(r), at: Fx.ts(30 + s), eventID: "ev-void-r\(r)s\(s)", reason: "r\(r)").derived() else { return nil }
            put(&out, inv3, voided)
            put(&out, o2, Invoicing.releaseItems(of: voided, in: try load(files, o2, Order.self)))
            return out
        }),
        ("cancel j1", { files, r, s in
            var out = files
            guard let order = try? Invoicing.cancelItem(try load(files, o2, Order.self), ref: "j1", by: actor(r)) else { return nil }
            put(&out, o2, order)
            return out
        }),
    ]

    static func sequences(from start: Files, replica: Int) throws -> [(String, Files)] {
        var out: [(String, Files)] = [("nothing", start)]
        for a in actions {
            guard let one = try a.apply(start, replica, 0) else { continue }
            out.append((a.name, one))
            for b in actions {
                if let two = try b.apply(one, replica, 1) { out.append(("\(a.name), \(b.name)", two)) }
            }
        }
        return out
    }

    /// Path by path, as `folio sync` merges trees: orders last, with the merged invoices their
    /// items name.
    static func merge(base: Files, a: Files, b: Files, sideA: MergeSide, sideB: MergeSide) throws -> Files {
        var out: Files = [:]
        let paths = Set(base.keys).union(a.keys).union(b.keys).sorted { (DocumentPaths.parse($0)?.kind == .order ? 1 : 0, $0) < (DocumentPaths.parse($1)?.kind == .order ? 1 : 0, $1) }
        for path in paths {
            let (bv, av, cv) = (base[path], a[path], b[path])
            if av == cv { if let av { out[path] = av }; continue }
            if bv == av { if let cv { out[path] = cv }; continue }
            if bv == cv { if let av { out[path] = av }; continue }
            var linked: [String: JSONValue] = [:]
            if DocumentPaths.parse(path)?.kind == .order {
                for version in [bv, av, cv].compactMap({ $0 }) {
                    for item in try JSONValue.parse(version).decode(Order.self).items {
                        for id in item.takers { linked[id] = try out[RepoFixture.invoicePath(id)].map { try JSONValue.parse($0) } }
                    }
                }
            }
            let merged = try DocumentMerge.merge(path: path, base: bv.map { try JSONValue.parse($0) }, a: av.map { try JSONValue.parse($0) },
                                                 b: cv.map { try JSONValue.parse($0) }, sideA: sideA, sideB: sideB, linked: linked)
            if let result = merged.result { out[path] = Data(CanonicalJSON.bytes(result)) }
        }
        return out
    }

    @Test("every pair of up to two cross-document actions per replica ends valid, or with a record where validate objects")
    func allPairs() throws {
        var start = try RepoFixture.consistent()
        start.put(DocumentPaths.parties, Parties(parties: [Fx.seller.email: Fx.seller.party, Fx.buyer.email: Fx.buyer.party, Self.seller2.email: Self.seller2.party]))
        start.put(DocumentPaths.series("B"), SeriesState(prefix: "B", last: 0))
        #expect(start.errors() == [], "the start is valid")
        let left = try Self.sequences(from: start.files, replica: 0), right = try Self.sequences(from: start.files, replica: 1)
        let sideA = MergeSide(commit: String(repeating: "a", count: 40), author: Fx.seller.email)
        let sideB = MergeSide(commit: String(repeating: "b", count: 40), author: Self.seller2.email)
        var cases = 0, recorded = 0
        var failures: [String] = []
        for (la, a) in left {
            for (lb, b) in right {
                cases += 1
                let one = try Self.merge(base: start.files, a: a, b: b, sideA: sideA, sideB: sideB)
                let two = try Self.merge(base: start.files, a: b, b: a, sideA: sideB, sideB: sideA)
                if one != two { failures.append("[\(la)] × [\(lb)]: not symmetric"); continue }
                let errors = Validator(files: one).run().filter { $0.severity == .error && $0.rule != "conflicts/unresolved" }
                if !errors.isEmpty { recorded += 1 }
                for e in errors {
                    let doc = try? JSONValue.parse(one[e.file] ?? Data())
                    if (doc?["conflicts"]?.arrayValue ?? []).isEmpty {
                        failures.append("[\(la)] × [\(lb)]: \(e.description) with no record in \(e.file)")
                    }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases) cases: \(failures.prefix(8).joined(separator: "\n"))")
        #expect(cases > 400, "\(cases) cases")
        #expect(recorded > 0, "some cases need a decision (\(recorded) of \(cases))")
    }
}
