import Foundation
import Testing
@testable import FolioModel

/// SPEC §4, rule by rule. Every case merges in both directions and requires byte-identical
/// results: the merge must not depend on which side is "ours".
@Suite("Merge: the sync core's rules, each in both directions")
struct MergeTests {
    static let path = DocumentPaths.path(.invoice, id: "inv-1")
    static let sideX = MergeSide(commit: String(repeating: "a", count: 40), author: Fx.seller.email)
    static let sideY = MergeSide(commit: String(repeating: "b", count: 40), author: Fx.buyer.email)

    /// Merges x and y against base both ways; checks symmetry and idempotence; returns the result.
    func merge(_ base: Invoice?, _ x: Invoice?, _ y: Invoice?, path: String = MergeTests.path,
               sourceLocation: SourceLocation = #_sourceLocation) throws -> (Invoice, MergeOutcome) {
        let (b, xj, yj) = (base.map(jsonOf), x.map(jsonOf), y.map(jsonOf))
        let one = try DocumentMerge.merge(path: path, base: b, a: xj, b: yj, sideA: Self.sideX, sideB: Self.sideY)
        let two = try DocumentMerge.merge(path: path, base: b, a: yj, b: xj, sideA: Self.sideY, sideB: Self.sideX)
        let r1 = try #require(one.result, sourceLocation: sourceLocation)
        let r2 = try #require(two.result, sourceLocation: sourceLocation)
        #expect(CanonicalJSON.bytes(r1) == CanonicalJSON.bytes(r2), "merge is symmetric", sourceLocation: sourceLocation)
        // Merging the result with either side again changes nothing that side did not bring.
        let again = try DocumentMerge.merge(path: path, base: xj, a: r1, b: xj, sideA: Self.sideX, sideB: Self.sideX)
        #expect(again.result == r1, "merging again changes nothing", sourceLocation: sourceLocation)
        return (try r1.decode(Invoice.self), one)
    }

    static func edit(_ inv: Invoice, minute: Int, _ change: (inout Invoice) -> Void) throws -> Invoice {
        var new = inv
        change(&new)
        return try Workflow.edit(old: inv, new: new, oldJSON: jsonOf(inv), newJSON: jsonOf(new), by: Fx.seller, at: Fx.ts(minute)).derived()
    }

    @Test("a series claimed on two clones offline: the earlier claim keeps it, whichever side merges; last is the larger")
    func seriesClaims() throws {
        let path = DocumentPaths.series("AF")
        let base = JSONValue.encoding(SeriesState(prefix: "AF", last: 3))
        var x = SeriesState(prefix: "AF", last: 4), y = SeriesState(prefix: "AF", last: 5)
        x.claim = SeriesClaim(replica: "r-late", by: Fx.seller.email, at: Fx.ts(9))
        y.claim = SeriesClaim(replica: "r-early", by: Fx.seller.email, at: Fx.ts(2))
        let one = try DocumentMerge.merge(path: path, base: base, a: JSONValue.encoding(x), b: JSONValue.encoding(y), sideA: Self.sideX, sideB: Self.sideY)
        let two = try DocumentMerge.merge(path: path, base: base, a: JSONValue.encoding(y), b: JSONValue.encoding(x), sideA: Self.sideY, sideB: Self.sideX)
        let merged = try #require(one.result).decode(SeriesState.self)
        #expect(one.result == two.result)
        #expect(merged.claim?.replica == "r-early")
        #expect(merged.last == 5)
        #expect(one.conflicts.isEmpty && one.result?["conflicts"] == nil, "a series file never carries conflict records")
    }

    @Test("one side changed: its version is taken, whichever side it is")
    func oneSide() throws {
        let base = try Fx.invoice()
        let edited = try Self.edit(base, minute: 5) { $0.note = "hello" }
        let (r, o) = try merge(base, edited, base)
        #expect(r.note == "hello")
        #expect(o.conflicts.isEmpty)
    }

    @Test("different fields changed on each side: both kept, no conflict")
    func disjointFields() throws {
        let base = try Fx.invoice()
        let x = try Self.edit(base, minute: 5) { $0.note = "from x" }
        let y = try Self.edit(base, minute: 6) { $0.terms = "net 10" }
        let (r, o) = try merge(base, x, y)
        #expect(r.note == "from x" && r.terms == "net 10")
        #expect(o.conflicts.isEmpty && (r.conflicts ?? []).isEmpty)
    }

    @Test("lines merge item by item and field by field; derived totals are recomputed")
    func linesFieldByField() throws {
        let base = try Fx.invoice()
        let x = try Self.edit(base, minute: 5) { $0.lines[0].quantity = "5" }
        let y = try Self.edit(base, minute: 6) { $0.lines[1].discount = 100 }
        let (r, o) = try merge(base, x, y)
        #expect(r.lines[0].quantity == "5" && r.lines[1].discount == 100)
        #expect(o.conflicts.isEmpty)
        let expected = try { var i = r; i.totals = nil; return try i.derived() }()
        #expect(r.totals == expected.totals)
        #expect(r.totals!.subtotal == 5 * 4900 + (1500 - 100) + 999)
    }

    @Test("the same field changed to different values: the later edit wins, the other is a conflict record with both authors")
    func sameFieldConflict() throws {
        let base = try Fx.invoice()
        let early = try Self.edit(base, minute: 5) { $0.note = "early" }
        let late = try Self.edit(base, minute: 9) { $0.note = "late" }
        let (r, o) = try merge(base, early, late)
        #expect(r.note == "late")
        let rec = try #require(r.conflicts?.first)
        #expect(r.conflicts?.count == 1 && o.conflicts.count == 1)
        #expect(rec.path == "/note")
        #expect(rec.chosen == .string("late") && rec.ours == .string("late") && rec.theirs == .string("early"))
        #expect(rec.base == nil)
        #expect(Set([rec.oursCommit, rec.theirsCommit]) == Set([Self.sideX.commit, Self.sideY.commit]))
        #expect(rec.id.hasPrefix("cf-"))
    }

    @Test("a conflict record's id is derived from the edit that lost")
    func conflictIDsAreContentDerived() throws {
        let base = try Fx.invoice()
        let x = try Self.edit(base, minute: 5) { $0.note = "x" }
        let y = try Self.edit(base, minute: 9) { $0.note = "y" }
        let (r1, _) = try merge(base, x, y)
        let (r2, _) = try merge(base, x, y)
        #expect(r1.conflicts == r2.conflicts)
        // The id names the losing edit: "x" losing to "z" is the same record as "x" losing
        // to "y" (a third replica's merge refreshes what it lost to, never its identity) ...
        let z = try Self.edit(base, minute: 9) { $0.note = "z" }
        let (r3, _) = try merge(base, x, z)
        #expect(r3.conflicts?.first?.id == r1.conflicts?.first?.id)
        #expect(r3.conflicts?.first?.ours == .string("z"))
        // ... and another losing value is another record.
        let w = try Self.edit(base, minute: 4) { $0.note = "w" }
        let (r4, _) = try merge(base, w, y)
        #expect(r4.conflicts?.first?.id != r1.conflicts?.first?.id)
    }

    @Test("events and payments are unions by id, ordered by (at, id); nothing is dropped")
    func unions() throws {
        var base = try Fx.accepted()
        base.payments = [Fx.payment("p0", 100, minute: 10)]
        base = try base.derived()
        var x = base, y = base
        x.payments.append(Fx.payment("p-x", 200, minute: 12))
        y.payments.append(Fx.payment("p-y", 300, minute: 11))
        y.payments.removeAll { $0.id == "p0" }   // a side that lost a payment cannot drop it
        x = try x.derived(); y = try y.derived()
        let (r, _) = try merge(base, x, y)
        #expect(r.payments.map(\.id) == ["p0", "p-y", "p-x"])
        #expect(r.totals?.paid == 600)
        #expect(r.events.map(\.id) == base.events.map(\.id))
    }

    @Test("finality: a seller edit concurrent with the acceptance is not applied but kept as a conflict record")
    func acceptanceBeatsEdit() throws {
        let base = try Fx.pending()
        let accepted = try Fx.answered(base, .accepted, text: nil, minute: 20)
        let edited = try Self.edit(base, minute: 30) { $0.lines[0].quantity = "9"; $0.note = "late change" }
        #expect(edited.revision == 2)
        let (r, _) = try merge(base, accepted, edited)
        #expect(r.status == .accepted)
        #expect(r.revision == 1, "the accepted revision")
        #expect(r.lines[0].quantity == base.lines[0].quantity)
        #expect(r.note == nil)
        let paths = Set((r.conflicts ?? []).map(\.path))
        #expect(paths == ["/lines", "/note"])
        let noteRecord = try #require(r.conflicts?.first { $0.path == "/note" })
        #expect(noteRecord.theirs == .string("late change"))
        #expect(noteRecord.oursBy == Fx.buyer.email || noteRecord.oursCommit != nil)
        #expect(Workflow.content(of: jsonOf(r)) == Workflow.content(of: jsonOf(accepted)), "accepted content unchanged")
    }

    @Test("a decline concurrent with an edit keeps the edit")
    func declineKeepsEdit() throws {
        let base = try Fx.pending()
        let declined = try Fx.answered(base, .declined, minute: 20)
        let edited = try Self.edit(base, minute: 30) { $0.note = "fixed it" }
        let (r, o) = try merge(base, declined, edited)
        #expect(r.status == .declined)
        #expect(r.note == "fixed it")
        #expect(r.revision == 2)
        #expect(o.conflicts.isEmpty)
    }

    @Test("send of revision r+1 concurrent with a change request on r: pending_approval at r+1, request kept in the events")
    func resendBeatsChangeRequest() throws {
        let base = try Fx.pending()
        let requested = try Fx.answered(base, .changesRequested, text: "fix qty", minute: 20)
        let edited = try Self.edit(base, minute: 25) { $0.lines[0].quantity = "3" }
        let resent = try Fx.sent(edited, number: nil, minute: 30)
        #expect(resent.revision == 2)
        let (r, o) = try merge(base, requested, resent)
        #expect(r.status == .pendingApproval)
        #expect(r.revision == 2)
        #expect(r.events.contains { $0.type == .changesRequested && $0.note == "fix qty" })
        #expect(r.lines[0].quantity == "3")
        #expect(o.conflicts.isEmpty)
    }

    @Test("an unsent edit concurrent with a change request: changes_requested, edit kept")
    func unsentEditAndChangeRequest() throws {
        let base = try Fx.pending()
        let requested = try Fx.answered(base, .changesRequested, text: "fix qty", minute: 20)
        let edited = try Self.edit(base, minute: 25) { $0.lines[0].quantity = "3" }
        let (r, _) = try merge(base, requested, edited)
        #expect(r.status == .changesRequested)
        #expect(r.lines[0].quantity == "3" && r.revision == 2)
    }

    @Test("a draft first sent on both sides keeps one number by a deterministic rule and records the other as void")
    func doubleNumber() throws {
        let base = try Fx.invoice()
        let x = try Workflow.send(base, by: Fx.seller, at: Fx.ts(10), eventID: "ev-x", requireApproval: true, number: "A-00007").derived()
        let y = try Workflow.send(base, by: Fx.seller2, at: Fx.ts(12), eventID: "ev-y", requireApproval: true, number: "B-00003").derived()
        let (r, o) = try merge(base, x, y)
        #expect(r.number == "A-00007", "the earlier send keeps its number")
        #expect(r.voidedNumbers == ["B-00003"])
        #expect(o.voidedNumbers == ["B-00003"])
        #expect(r.events.filter { $0.type == .sent }.count == 2)
        #expect(r.status == .pendingApproval)
    }

    @Test("deletion against modification: the modified document is kept, with a record")
    func deleteVersusModify() throws {
        let base = try Fx.invoice()
        let edited = try Self.edit(base, minute: 5) { $0.note = "keep me" }
        let (r, o) = try merge(base, nil, edited)
        #expect(r.note == "keep me")
        #expect(o.conflicts.count == 1 && o.conflicts[0].path == "")
        // Deleted on one side, untouched on the other: deleted.
        let gone = try DocumentMerge.merge(path: Self.path, base: jsonOf(base), a: nil, b: jsonOf(base), sideA: Self.sideX, sideB: Self.sideY)
        #expect(gone.result == nil)
    }

    @Test("a resolved conflict stays resolved when the other side still has it")
    func resolveIsRespected() throws {
        let base0 = try Fx.invoice()
        let x = try Self.edit(base0, minute: 5) { $0.note = "x" }
        let y = try Self.edit(base0, minute: 9) { $0.note = "y" }
        let (withConflict, _) = try merge(base0, x, y)
        var resolved = withConflict
        resolved.conflicts = []
        resolved = try resolved.derived()
        var other = withConflict
        other.terms = "net 5"
        other = try other.derived()
        let (r, _) = try merge(withConflict, resolved, other)
        #expect((r.conflicts ?? []).isEmpty)
        #expect(r.terms == "net 5")
    }

    @Test("orders: items merge by ref; invoiced and cancelled at once is a recorded conflict")
    func orders() throws {
        let order = Fx.order()
        var x = order, y = order
        x.items[0].status = .invoiced; x.items[0].invoiceId = "inv-9"
        y.items[0].status = .cancelled
        y.items[2].description = "Service (renamed)"
        let path = DocumentPaths.path(.order, id: order.id)
        let one = try DocumentMerge.merge(path: path, base: jsonOf(order), a: jsonOf(x), b: jsonOf(y), sideA: Self.sideX, sideB: Self.sideY)
        let two = try DocumentMerge.merge(path: path, base: jsonOf(order), a: jsonOf(y), b: jsonOf(x), sideA: Self.sideY, sideB: Self.sideX)
        #expect(one.result == two.result)
        let merged = try #require(one.result).decode(Order.self)
        #expect(merged.items[2].description == "Service (renamed)")
        #expect(merged.conflicts?.map(\.path) == ["/items/0/status"])
    }

    @Test("series: the highest sequence wins and void numbers are a union")
    func series() throws {
        let path = DocumentPaths.series("A")
        let base = jsonOf(SeriesState(prefix: "A", last: 3))
        let x = jsonOf(SeriesState(prefix: "A", last: 5, void: [VoidNumber(number: "A-00004", invoiceId: "i4", reason: "r")]))
        let y = jsonOf(SeriesState(prefix: "A", last: 4, void: [VoidNumber(number: "A-00002", invoiceId: "i2", reason: "r")]))
        let r = try DocumentMerge.merge(path: path, base: base, a: x, b: y, sideA: Self.sideX, sideB: Self.sideY)
        let s = try #require(r.result).decode(SeriesState.self)
        #expect(s.last == 5)
        #expect(Set(s.void!.map(\.number)) == ["A-00002", "A-00004"])
    }

    @Test("a merged document that breaks the schema is a failure, not a guess")
    func invalidMerge() throws {
        let base = try Fx.invoice()
        var broken = jsonOf(base)
        broken = try setting("/lines/0/unitPrice", .string("oops"), in: broken)
        let edited = jsonOf(try Self.edit(base, minute: 5) { $0.note = "n" })
        #expect(throws: MergeFailure.self) {
            try DocumentMerge.merge(path: Self.path, base: jsonOf(base), a: broken, b: edited, sideA: Self.sideX, sideB: Self.sideY)
        }
    }
}
