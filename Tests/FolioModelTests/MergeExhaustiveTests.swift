import Foundation
import Testing
@testable import FolioModel

/// SPEC §4 on every small case (issue 10, defect 9): from each starting state, two replicas
/// each take every sequence of up to two actions offline (seller edits, sends, voids, pays;
/// buyer accepts, declines, requests changes), at the same minutes so that ties happen, and
/// the two are merged. Every merge must be symmetric and idempotent, keep every event and
/// payment of both sides, and leave a document that validate accepts or that carries a record.
@Suite("Merge: every pair of one or two actions per replica")
struct MergeExhaustiveTests {
    typealias Action = (name: String, apply: @Sendable (Invoice, _ replica: Int, _ step: Int) -> Invoice?)

    static let actions: [Action] = [
        ("edit note", { inv, r, s in
            var new = inv
            new.note = "note r\(r) s\(s)"
            return try? Workflow.edit(old: inv, new: new, oldJSON: jsonOf(inv), newJSON: jsonOf(new), by: r == 0 ? Fx.seller : Fx.seller2, at: Fx.ts(10 + s)).derived()
        }),
        ("edit quantity", { inv, r, s in
            var new = inv
            new.lines[0].quantity = String(3 + r + s)
            return try? Workflow.edit(old: inv, new: new, oldJSON: jsonOf(inv), newJSON: jsonOf(new), by: r == 0 ? Fx.seller : Fx.seller2, at: Fx.ts(10 + s)).derived()
        }),
        ("send", { inv, r, s in
            try? Workflow.send(inv, by: r == 0 ? Fx.seller : Fx.seller2, at: Fx.ts(10 + s), eventID: "ev-send-r\(r)s\(s)", requireApproval: true,
                               number: inv.number ?? (r == 0 ? "A-00002" : "B-00001")).derived()
        }),
        ("accept", { inv, r, s in try? Workflow.respond(inv, with: .accepted, by: Fx.buyer, at: Fx.ts(10 + s), eventID: "ev-acc-r\(r)s\(s)", text: nil).derived() }),
        ("decline", { inv, r, s in try? Workflow.respond(inv, with: .declined, by: Fx.buyer, at: Fx.ts(10 + s), eventID: "ev-dec-r\(r)s\(s)", text: "no r\(r)").derived() }),
        ("request changes", { inv, r, s in
            try? Workflow.respond(inv, with: .changesRequested, by: Fx.buyer, at: Fx.ts(10 + s), eventID: "ev-req-r\(r)s\(s)", text: "fix r\(r)").derived()
        }),
        ("pay", { inv, r, s in
            try? Workflow.pay(inv, by: r == 0 ? Fx.seller : Fx.seller2,
                              payment: Payment(id: "pay-r\(r)s\(s)", amount: 500, date: "2026-01-11", method: nil, reference: nil, by: Fx.seller.email, at: Fx.ts(10 + s))).derived()
        }),
        ("void", { inv, r, s in try? Workflow.void(inv, by: r == 0 ? Fx.seller : Fx.seller2, at: Fx.ts(10 + s), eventID: "ev-void-r\(r)s\(s)", reason: "r\(r)").derived() }),
    ]

    /// Every applicable sequence of up to two actions from `start`, as (names, result).
    static func sequences(from start: Invoice, replica: Int) -> [(String, Invoice)] {
        var out: [(String, Invoice)] = [("nothing", start)]
        for a in actions {
            guard let one = a.apply(start, replica, 0) else { continue }
            out.append((a.name, one))
            for b in actions {
                if let two = b.apply(one, replica, 1) { out.append(("\(a.name), \(b.name)", two)) }
            }
        }
        return out
    }

    static let starts: [(String, @Sendable () throws -> Invoice)] = [
        ("draft", { try Fx.invoice() }),
        ("pending", { try Fx.pending() }),
        ("changes requested", { try Fx.changesRequested() }),
    ]

    @Test("every pair of one or two actions, from draft, pending and changes requested", arguments: 0..<MergeExhaustiveTests.starts.count)
    func allPairs(start index: Int) throws {
        let (name, make) = Self.starts[index]
        let base = try make().derived()
        let baseJSON = jsonOf(base)
        let left = Self.sequences(from: base, replica: 0), right = Self.sequences(from: base, replica: 1)
        let sideA = MergeSide(commit: String(repeating: "a", count: 40), author: Fx.seller.email)
        let sideB = MergeSide(commit: String(repeating: "b", count: 40), author: Fx.buyer.email)
        var cases = 0, failures = 0
        for (la, a) in left {
            for (lb, b) in right {
                cases += 1
                let (aj, bj) = (jsonOf(a), jsonOf(b))
                let one = try DocumentMerge.merge(path: MergeTests.path, base: baseJSON, a: aj, b: bj, sideA: sideA, sideB: sideB)
                let two = try DocumentMerge.merge(path: MergeTests.path, base: baseJSON, a: bj, b: aj, sideA: sideB, sideB: sideA)
                let merged = try #require(one.result)
                var problems: [String] = []
                if one.result.map(CanonicalJSON.bytes) != two.result.map(CanonicalJSON.bytes) { problems.append("not symmetric") }
                let again = try DocumentMerge.merge(path: MergeTests.path, base: merged, a: merged, b: merged, sideA: sideA, sideB: sideB)
                if again.result != merged { problems.append("not idempotent") }
                let result = try merged.decode(Invoice.self)
                let events = Set(result.events.map(\.id)), payments = Set(result.payments.map(\.id))
                if !Set(a.events.map(\.id) + b.events.map(\.id)).isSubset(of: events) { problems.append("an event was lost") }
                if !Set(a.payments.map(\.id) + b.payments.map(\.id)).isSubset(of: payments) { problems.append("a payment was lost") }
                let errors = Validator.documentFindings(path: MergeTests.path, data: Data(CanonicalJSON.bytes(merged)))
                    .filter { $0.severity == .error && $0.rule != "conflicts/unresolved" }
                if !errors.isEmpty && (result.conflicts ?? []).isEmpty {
                    problems.append("fails validate with no record: \(errors.map { "\($0.rule) \($0.pointer)" })")
                }
                if !problems.isEmpty {
                    failures += 1
                    if failures <= 10 { Issue.record("\(name): [\(la)] vs [\(lb)]: \(problems.joined(separator: "; "))") }
                }
            }
        }
        #expect(failures == 0, "\(failures) of \(cases) cases from \(name) failed")
        #expect(cases >= 400, "\(cases) cases from \(name)")
    }
}
