/// The sync core (SPEC §4): a three-way merge of one document that knows what its fields
/// mean. Pure and symmetric: merge(base, x, y) == merge(base, y, x), with no clock and no
/// randomness, so every replica that merges the same commits writes the same bytes.
/// docs/merge.md explains the rules with examples.

/// One side of a merge: the commit it comes from and who made it, and where known, which
/// commit gave each field the value this side holds.
public struct MergeSide: Sendable {
    public var commit: String?
    public var author: String?
    /// The edit that gave the value at `path` to this side (nil: not known). A merge commit that
    /// heads a side merely carries values: the winner of a conflict and the authors in its
    /// record come from the commits that made the edits, so that every order of syncs between
    /// three or more replicas ends with the same document (issue 10, 9a).
    public var origin: (@Sendable (_ path: [ValuePath.Step], _ value: JSONValue?) -> EditOrigin?)?
    public init(commit: String?, author: String?, origin: (@Sendable ([ValuePath.Step], JSONValue?) -> EditOrigin?)? = nil) {
        self.commit = commit; self.author = author; self.origin = origin
    }
}

/// The commit that made an edit: who, and when (Unix seconds, the commit's author time).
public struct EditOrigin: Sendable, Hashable {
    public var commit: String
    public var author: String?
    public var time: Int64
    public init(commit: String, author: String?, time: Int64) { self.commit = commit; self.author = author; self.time = time }
}

/// A place in a document that survives reordering: list items of keyed lists are named by
/// their key, not their position, so the same field can be found in every version of it.
public enum ValuePath {
    public enum Step: Sendable, Hashable {
        case member(String)
        case item(key: String, value: String)
        case index(Int)
    }

    public static func value(at path: [Step], in doc: JSONValue?) -> JSONValue? {
        var here = doc
        for step in path {
            switch step {
            case .member(let name): here = here?[name]
            case .index(let i): here = here?.arrayValue.flatMap { i < $0.count ? $0[i] : nil }
            case .item(let key, let value): here = here?.arrayValue?.first { $0[key]?.stringValue == value || $0.stringValue == value }
            }
        }
        return here
    }
}

/// A document that the merge could not read: it is reported, never guessed at.
public struct MergeFailure: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

public struct MergeOutcome: Sendable {
    /// nil: the document is deleted in the result.
    public var result: JSONValue?
    /// Conflict records this merge added (already inside `result`).
    public var conflicts: [ConflictRecord]
    /// Numbers given up because a draft was sent on both sides.
    public var voidedNumbers: [String]
}

public enum DocumentMerge {
    /// How the elements of an array merge.
    enum ListRule {
        case atomic                 // the whole array is one value
        case keyed(String)          // item by item by this key, field by field within items
        case union(String)          // like keyed, but nothing is ever removed (events, payments)
    }

    enum Kind { case invoice, order, series, settings }

    static func kind(of path: String) -> Kind {
        if let (k, _) = DocumentPaths.parse(path) { return k == .invoice ? .invoice : .order }
        if path.hasPrefix(DocumentPaths.seriesFolder + "/") { return .series }
        return .settings
    }

    static func listRule(_ kind: Kind, _ pointer: [String]) -> ListRule {
        // Parts of an order item taken by different invoices on two replicas are both kept.
        if kind == .order, pointer.count == 3, pointer[0] == "items", pointer[2] == "invoicedParts" { return .keyed("invoiceId") }
        guard pointer.count == 1 else { return .atomic }
        switch (kind, pointer[0]) {
        case (.invoice, "lines"), (.invoice, "costLines"): return .keyed("id")
        case (.invoice, "extraFields"): return .keyed("fieldName")
        case (.invoice, "events"), (.invoice, "payments"): return .union("id")
        case (.invoice, "voidedNumbers"): return .union("number")
        case (_, "conflicts"): return .keyed("id")
        case (.order, "items"): return .keyed("ref")
        case (.settings, "fields"): return .keyed("fieldName")
        case (.series, "void"): return .union("number")
        default: return .atomic
        }
    }

    /// Fields that are recomputed or set by a rule after the merge, so they never conflict.
    static func isDerived(_ kind: Kind, _ pointer: [String]) -> Bool {
        if kind == .series { return pointer == ["last"] || pointer.first == "claim" }
        guard kind == .invoice else { return false }
        if pointer.count == 1 { return ["totals", "status", "paymentStatus", "revision", "updatedAt", "updatedBy", "reminderAmount"].contains(pointer[0]) }
        if pointer.count == 3, pointer[0] == "lines" { return ["net", "tax", "total"].contains(pointer[2]) }
        if pointer.count == 3, pointer[0] == "costLines" { return ["tax", "total"].contains(pointer[2]) }
        return false
    }

    /// State shared by one document's merge.
    struct Context {
        let kind: Kind
        let path: String
        let a: MergeSide, b: MergeSide
        /// True when side a's values win conflicts whose edits are not known: the later
        /// document (updatedAt), then the larger content — properties of the sides, not of
        /// their order.
        let aWins: Bool
        let recordConflicts: Bool
        var conflicts: [ConflictRecord] = []
        /// The keyed list items met on the way down: position pointer → key, for ValuePath.
        var itemKeys: [[String]: (String, String)] = [:]
        /// The fields this merge decided: pointer → the winning value and the edit that made it.
        var decided: [String: (value: JSONValue?, side: MergeSide)] = [:]

        func valuePath(_ pointer: [String]) -> [ValuePath.Step] {
            pointer.indices.map { i in
                if let (key, value) = itemKeys[Array(pointer[...i])] { return .item(key: key, value: value) }
                if i > 0, let n = Int(pointer[i]), itemKeys[Array(pointer[..<i])] == nil, String(n) == pointer[i] { return .index(n) }
                return .member(pointer[i])
            }
        }

        mutating func conflict(_ pointer: [String], base: JSONValue?, a av: JSONValue?, b bv: JSONValue?, reason: String) -> JSONValue? {
            var sideA = a, sideB = b, aFirst = aWins
            let path = valuePath(pointer)
            // The later edit wins (then the larger commit id): a property of the two edits,
            // whichever merge commits carried them here.
            if let oa = a.origin?(path, av), let ob = b.origin?(path, bv), oa != ob {
                aFirst = (oa.time, oa.commit) > (ob.time, ob.commit)
                sideA = MergeSide(commit: oa.commit, author: oa.author)
                sideB = MergeSide(commit: ob.commit, author: ob.author)
            }
            let (winner, loser, ws, ls) = aFirst ? (av, bv, sideA, sideB) : (bv, av, sideB, sideA)
            if recordConflicts {
                conflicts.append(DocumentMerge.record(pointer: pointer, base: base, winner: winner, loser: loser, winnerSide: ws, loserSide: ls, reason: reason))
                decided[JSONPointer(tokens: pointer).description] = (winner, ws)
            }
            return winner
        }
    }

    static func record(pointer: [String], base: JSONValue?, winner: JSONValue?, loser: JSONValue?, winnerSide: MergeSide, loserSide: MergeSide, reason: String) -> ConflictRecord {
        let path = JSONPointer(tokens: pointer).description
        // The id is derived from the losing edit (where and what it wrote), so
        // replicas that record the same conflict hold one record, whatever won it on the way:
        // a later merge may hand the field to a third edit and refresh the winner's side of
        // the record (settleRecords), never its id.
        var fingerprint = path + "\u{0}" + canonical(loser) + "\u{0}" + reason
        if loser == nil { fingerprint += "\u{0}" + canonical(base) + "\u{0}" + canonical(winner) }
        let h = DocumentPaths.shardHash(fingerprint)
        let id = "cf-" + String(h, radix: 16).leftPadded(16)
        return ConflictRecord(id: id, path: path, base: base, ours: winner, theirs: loser, chosen: winner,
                              oursBy: winnerSide.author, theirsBy: loserSide.author,
                              oursCommit: winnerSide.commit, theirsCommit: loserSide.commit, reason: reason)
    }

    static func canonical(_ v: JSONValue?) -> String { v.map(CanonicalJSON.compact) ?? "∅" }

    // MARK: - Entry point

    /// Merges one document. `base` nil: the document did not exist in the merge base;
    /// `a`/`b` nil: deleted on that side.
    /// `linked`: for an order, the merged versions of the invoices its items name (by id), so
    /// that what each item records is what those invoices bill after the merge (a void on one
    /// side and a quantity edit on the other meet in the invoice, not in the order).
    public static func merge(path: String, base: JSONValue?, a: JSONValue?, b: JSONValue?, sideA: MergeSide, sideB: MergeSide,
                             recordConflicts: Bool = true, linked: [String: JSONValue] = [:]) throws(MergeFailure) -> MergeOutcome {
        if a == b { return MergeOutcome(result: a, conflicts: [], voidedNumbers: []) }
        if base == a { return MergeOutcome(result: b, conflicts: [], voidedNumbers: []) }
        if base == b { return MergeOutcome(result: a, conflicts: [], voidedNumbers: []) }
        let kind = self.kind(of: path)
        let aKey = (a?["updatedAt"]?.stringValue ?? "", canonical(a))
        let bKey = (b?["updatedAt"]?.stringValue ?? "", canonical(b))
        var ctx = Context(kind: kind, path: path, a: sideA, b: sideB, aWins: aKey > bKey, recordConflicts: recordConflicts)

        guard let av = a, let bv = b else {
            // Deleted on one side, changed on the other: keep the changed document (nothing is
            // lost) and say what happened.
            let kept = (a ?? b)!
            let deleter = a == nil ? sideA : sideB
            let keeper = a == nil ? sideB : sideA
            var out = kept
            if recordConflicts, kind == .invoice || kind == .order {
                let rec = record(pointer: [], base: nil, winner: nil, loser: nil, winnerSide: keeper, loserSide: deleter,
                                 reason: "deleted by \(deleter.author ?? "one side") while \(keeper.author ?? "the other side") changed it; the changed document is kept")
                out = appendConflicts(out, [rec])
                return MergeOutcome(result: try finish(kind, path, out), conflicts: [rec], voidedNumbers: [])
            }
            return MergeOutcome(result: try finish(kind, path, out), conflicts: [], voidedNumbers: [])
        }

        var merged = mergeValue(base: base ?? .object([:]), a: av, b: bv, pointer: [], ctx: &ctx) ?? .object([:])
        var voided: [String] = []
        if kind == .invoice, case .object(var m) = merged {
            let baseObj = base ?? .object([:])
            applyRevisionAndStamps(&m, base: baseObj, a: av, b: bv)
            voided = applyNumberRule(&m, base: baseObj, a: av, b: bv, ctx: &ctx)
            applyFinality(&m, base: baseObj, a: av, b: bv, ctx: &ctx)
            recordRacesWithAcceptance(base: baseObj, a: av, b: bv, ctx: &ctx)
            recordDoubleCredit(m, base: baseObj, a: av, b: bv, ctx: &ctx)
            merged = .object(m)
        } else if kind == .order {
            merged = settleItems(merged, linked: linked, ctx: &ctx)
        } else if kind == .series, case .object(var m) = merged {
            let last = [base?["last"], av["last"], bv["last"]].compactMap { $0?.intValue }.max() ?? 0
            m["last"] = .int(last)
            // Two clones that claimed the series offline: the earlier claim keeps it (then the
            // smaller replica id), a rule of the claims themselves, not of the sides. The other
            // clone is refused its next number and claims a series of its own; a number both
            // issued meanwhile is reported by the merge (duplicate numbers).
            let claims = [av["claim"], bv["claim"]].compactMap { $0 }.filter { $0 != .null }
            if let first = claims.min(by: { (($0["at"]?.stringValue ?? ""), ($0["replica"]?.stringValue ?? "")) < (($1["at"]?.stringValue ?? ""), ($1["replica"]?.stringValue ?? "")) }) {
                m["claim"] = first
            }
            merged = .object(m)
        }
        if !ctx.conflicts.isEmpty { merged = appendConflicts(merged, ctx.conflicts) }
        merged = settleRecords(merged, a: av, b: bv, ctx: ctx)
        return MergeOutcome(result: try finish(kind, path, merged), conflicts: ctx.conflicts, voidedNumbers: voided)
    }

    static func appendConflicts(_ doc: JSONValue, _ records: [ConflictRecord]) -> JSONValue {
        guard case .object(var m) = doc else { return doc }
        var list = m["conflicts"]?.arrayValue ?? []
        let have = Set(list.compactMap { $0["id"]?.stringValue })
        for r in records where !have.contains(r.id) { list.append(JSONValue.encoding(r)) }
        list.sort { ($0["id"]?.stringValue ?? "") < ($1["id"]?.stringValue ?? "") }
        m["conflicts"] = .array(list)
        return .object(m)
    }

    /// Conflict records after a merge, the same whichever order replicas merged in:
    /// - a record both sides hold in two versions (the winner's side refreshed differently)
    ///   becomes the version whose winner is the field's value now, else the smaller one;
    /// - a record of a field this merge decided again names the new winner and its edit: the
    ///   value that lost stays recorded, and what it lost to is what the document holds.
    static func settleRecords(_ doc: JSONValue, a: JSONValue, b: JSONValue, ctx: Context) -> JSONValue {
        guard case .object(var m) = doc, let list = m["conflicts"]?.arrayValue, !list.isEmpty else { return doc }
        func byID(_ d: JSONValue) -> [String: JSONValue] {
            Dictionary((d["conflicts"]?.arrayValue ?? []).compactMap { r in r["id"]?.stringValue.map { ($0, r) } }, uniquingKeysWith: { x, _ in x })
        }
        let (inA, inB) = (byID(a), byID(b))
        var settled: [JSONValue] = []
        for record in list {
            guard case .object(var r) = record, let id = r["id"]?.stringValue, let path = r["path"]?.stringValue else { settled.append(record); continue }
            let now = (try? JSONPointer(parsing: path)).flatMap { $0.get(doc) }
            if let x = inA[id], let y = inB[id], x != y {
                let candidates: [JSONValue] = canonical(x) <= canonical(y) ? [x, y] : [y, x]
                let current: [JSONValue] = candidates.filter { (c: JSONValue) -> Bool in c["ours"] == now }
                r = (current.first ?? candidates[0]).objectValue ?? r
            }
            if let (value, side) = ctx.decided[path] {
                r["ours"] = value; r["chosen"] = value
                r["oursBy"] = side.author.map(JSONValue.string); r["oursCommit"] = side.commit.map(JSONValue.string)
                r = r.filter { $0.value != .null }
            }
            settled.append(.object(r))
        }
        m["conflicts"] = .array(settled)
        return .object(m)
    }

    /// Derived fields are recomputed; a document that no longer decodes is a failure.
    static func finish(_ kind: Kind, _ path: String, _ doc: JSONValue) throws(MergeFailure) -> JSONValue {
        switch kind {
        case .invoice:
            let findings = Schemas.invoice.check(doc, file: path)
            if let first = findings.first { throw MergeFailure(path: path, message: "the merged invoice is invalid at \(first.pointer): \(first.message)") }
            do {
                let invoice = try doc.decode(Invoice.self)
                return JSONValue.encoding(try invoice.derived())
            } catch {
                throw MergeFailure(path: path, message: "the merged invoice cannot be recomputed: \(error)")
            }
        case .order:
            let findings = Schemas.order.check(doc, file: path)
            if let first = findings.first { throw MergeFailure(path: path, message: "the merged order is invalid at \(first.pointer): \(first.message)") }
            return doc
        case .series, .settings:
            return doc
        }
    }

    // MARK: - Generic three-way merge

    static func mergeValue(base: JSONValue?, a: JSONValue?, b: JSONValue?, pointer: [String], ctx: inout Context) -> JSONValue? {
        if a == b { return a }
        if base == a { return b }
        if base == b { return a }
        if isDerived(ctx.kind, pointer) { return a ?? b }
        // Two versions of one conflict record: settleRecords picks one after the merge, never
        // a record about a record.
        if pointer.count == 2, pointer[0] == "conflicts" { return a ?? b }
        switch (a, b) {
        case (.object(let am)?, .object(let bm)?):
            let bmObj = base?.objectValue ?? [:]
            var out: [String: JSONValue] = [:]
            for key in Set(am.keys).union(bm.keys).union(bmObj.keys).sorted() {
                if let v = mergeValue(base: bmObj[key], a: am[key], b: bm[key], pointer: pointer + [key], ctx: &ctx) { out[key] = v }
            }
            return .object(out)
        case (.array(let aa)?, .array(let ba)?):
            switch listRule(ctx.kind, pointer) {
            case .keyed(let key): return mergeList(base: base?.arrayValue ?? [], a: aa, b: ba, key: key, union: false, pointer: pointer, ctx: &ctx)
            case .union(let key): return mergeList(base: base?.arrayValue ?? [], a: aa, b: ba, key: key, union: true, pointer: pointer, ctx: &ctx)
            case .atomic: break
            }
        default:
            break
        }
        return ctx.conflict(pointer, base: base, a: a, b: b, reason: "changed on both sides")
    }

    /// Lists merged item by item: base order first, then new items by key (a symmetric order).
    static func mergeList(base: [JSONValue], a: [JSONValue], b: [JSONValue], key: String, union: Bool, pointer: [String], ctx: inout Context) -> JSONValue {
        func index(_ items: [JSONValue]) -> [String: JSONValue]? {
            var out: [String: JSONValue] = [:]
            for item in items {
                guard let k = item[key]?.stringValue ?? item.stringValue, out[k] == nil else { return nil }
                out[k] = item
            }
            return out
        }
        guard let bi = index(base), let ai = index(a), let ci = index(b) else {
            // Items without unique keys cannot be matched: the list is one value.
            return ctx.conflict(pointer, base: .array(base), a: .array(a), b: .array(b), reason: "list changed on both sides") ?? .array([])
        }
        var order: [String] = []
        var seen: Set<String> = []
        for item in base { let k = item[key]?.stringValue ?? item.stringValue!; if seen.insert(k).inserted { order.append(k) } }
        let fresh = Set(ai.keys).union(ci.keys).subtracting(seen).sorted()
        order += fresh
        var keep: [(String, JSONValue?, JSONValue?, JSONValue?)] = []
        for k in order {
            let (bv, av, cv) = (bi[k], ai[k], ci[k])
            if union {
                if av == nil && cv == nil { continue }
            } else if pointer == ["conflicts"] {
                // A record resolved on one side stays resolved; a later merge that decides the
                // same field again writes a record of its own.
                if av == nil || cv == nil, bv != nil { continue }
                if av == nil && cv == nil { continue }
            } else {
                if av == nil && cv == nil { continue }
                if bv != nil && av == nil && cv == bv { continue }   // deleted on a, untouched on b
                if bv != nil && cv == nil && av == bv { continue }   // deleted on b, untouched on a
            }
            keep.append((k, bv, av, cv))
        }
        var out: [JSONValue] = []
        for (i, (k, bv, av, cv)) in keep.enumerated() {
            let here = pointer + [String(i)]
            ctx.itemKeys[here] = (key, k)
            if av == nil || cv == nil {
                let present = (av ?? cv)!
                if !union, bv != nil {
                    // Deleted on one side, changed on the other: the change is kept.
                    let deleter = av == nil ? ctx.a : ctx.b
                    if ctx.recordConflicts {
                        ctx.conflicts.append(record(pointer: here, base: bv, winner: present, loser: nil,
                                                    winnerSide: av == nil ? ctx.b : ctx.a, loserSide: deleter,
                                                    reason: "removed on one side and changed on the other; the changed item is kept"))
                    }
                }
                out.append(present)
            } else if let merged = mergeValue(base: bv ?? .object([:]), a: av, b: cv, pointer: here, ctx: &ctx) {
                out.append(merged)
            }
        }
        return .array(out)
    }

    // MARK: - Invoice rules

    /// revision: the highest wins (an edit made the next revision); updatedAt/By: the later
    /// side's. Neither is ever a conflict.
    static func applyRevisionAndStamps(_ m: inout [String: JSONValue], base: JSONValue, a: JSONValue, b: JSONValue) {
        let rev = [base["revision"], a["revision"], b["revision"]].compactMap { $0?.intValue }.max()
        if let rev { m["revision"] = .int(rev) }
        // The later stamp, then the larger author: a maximum, so any order of merges gives it.
        func stamp(_ d: JSONValue) -> (String, String) { (d["updatedAt"]?.stringValue ?? "", d["updatedBy"]?.stringValue ?? "") }
        let later = stamp(a) >= stamp(b) ? a : b
        m["updatedAt"] = later["updatedAt"]
        m["updatedBy"] = later["updatedBy"]
    }

    /// A draft first sent on both sides has two numbers: the one whose send came first (by
    /// event time, then id) is kept; the other is recorded in voidedNumbers (SPEC §3).
    static func applyNumberRule(_ m: inout [String: JSONValue], base: JSONValue, a: JSONValue, b: JSONValue, ctx: inout Context) -> [String] {
        guard base["number"] == nil, let an = a["number"]?.stringValue, let bn = b["number"]?.stringValue, an != bn else { return [] }
        let baseEvents = Set((base["events"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
        func firstSend(_ doc: JSONValue) -> (String, String) {
            let sends = (doc["events"]?.arrayValue ?? []).filter { e in
                let t = e["type"]?.stringValue
                return (t == "sent" || t == "issued") && !baseEvents.contains(e["id"]?.stringValue ?? "")
            }
            return sends.map { ($0["at"]?.stringValue ?? "", $0["id"]?.stringValue ?? "") }.min { $0 < $1 } ?? ("~", "~")
        }
        let (keep, drop) = firstSend(a) <= firstSend(b) ? (an, bn) : (bn, an)
        m["number"] = .string(keep)
        var voided = Set((m["voidedNumbers"]?.arrayValue ?? []).compactMap(\.stringValue))
        voided.insert(drop)
        m["voidedNumbers"] = .array(voided.sorted().map(JSONValue.string))
        ctx.conflicts.removeAll { $0.path == "/number" || $0.path == "/voidedNumbers" }
        return [drop]
    }

    /// What the buyer's acceptance raced (SPEC §4: a merged state that `validate` would
    /// otherwise reject carries a record naming what must be decided). The acceptance stands
    /// either way (status precedence), and nothing is dropped from the events:
    /// - a void on the other side: the void gave the order items back, so they are open while
    ///   the invoice is accepted. `folio resolve --take ours` marks them invoiced again.
    /// - a send of a later revision on the other side: that revision's content is not applied
    ///   (finality); the record says its send is moot.
    static func recordRacesWithAcceptance(base: JSONValue, a: JSONValue, b: JSONValue, ctx: inout Context) {
        guard ctx.recordConflicts else { return }
        let baseIDs = Set((base["events"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
        func added(_ doc: JSONValue, _ type: String) -> [JSONValue] {
            (doc["events"]?.arrayValue ?? []).filter { $0["type"]?.stringValue == type && !baseIDs.contains($0["id"]?.stringValue ?? "") }
        }
        for (accepter, other, accSide, otherSide) in [(a, b, ctx.a, ctx.b), (b, a, ctx.b, ctx.a)] {
            guard let acceptance = added(accepter, "accepted").first else { continue }
            let revision = acceptance["revision"]?.intValue ?? 0
            let acceptedBy = acceptance["by"]?.stringValue ?? "the buyer"
            if let void = added(other, "voided").first {
                ctx.conflicts.append(record(pointer: ["events"], base: nil, winner: acceptance, loser: void, winnerSide: accSide, loserSide: otherSide,
                                            reason: "voided by \(void["by"]?.stringValue ?? "the seller") concurrently with the acceptance of revision \(revision) by \(acceptedBy); the acceptance stands and the void gave the order items back: resolve with --take ours to mark them invoiced again (correct with a credit note if needed)"))
            }
            if let send = added(other, "sent").first(where: { ($0["revision"]?.intValue ?? 0) > revision }) {
                ctx.conflicts.append(record(pointer: ["events"], base: nil, winner: acceptance, loser: send, winnerSide: accSide, loserSide: otherSide,
                                            reason: "revision \(send["revision"]?.intValue ?? 0) was sent by \(send["by"]?.stringValue ?? "the seller") concurrently with the acceptance of revision \(revision) by \(acceptedBy); the accepted revision is final and the later one is not applied: resolve with --take ours, and correct with a credit note if needed"))
            }
        }
    }

    /// Order items after a merge: each item's record of what invoices took is put back in its
    /// one representation (parts from two replicas may now add up to the whole item), and an
    /// item that concurrent invoices took beyond its quantity gets a record naming them.
    static func settleItems(_ doc: JSONValue, linked: [String: JSONValue], ctx: inout Context) -> JSONValue {
        guard case .object(var m) = doc, var items = m["items"]?.arrayValue else { return doc }
        for i in items.indices {
            guard var item = try? items[i].decode(OrderItem.self) else { continue }
            let before = item
            item.settle()
            // What each named invoice bills of the item now: nothing once it is void.
            for taker in item.takers {
                guard let invoice = linked[taker] else { continue }
                let events = (try? invoice["events"]?.decode([InvoiceEvent].self)) ?? []
                let void = Workflow.status(events: events, revision: Int(invoice["revision"]?.intValue ?? 1)) == .voided
                let billed = (invoice["lines"]?.arrayValue ?? []).filter { $0["orderItemRef"]?.stringValue == item.ref }
                    .reduce(ExactDecimal(0)) { $0 + ($1["quantity"]?.stringValue.flatMap(ExactDecimal.init) ?? ExactDecimal(0)) }
                item.setTake(invoiceID: taker, quantity: void ? ExactDecimal(0) : billed)
            }
            let total = item.invoicedQuantity()
            if ctx.recordConflicts, ExactDecimal.isLess(item.quantityValue, than: total) {
                let takers = item.takers.map { "\($0) (\(item.invoicedQuantity(of: $0)))" }.joined(separator: ", ")
                // Neither side wins here: the sides are named in a fixed order, not by who merges.
                let (first, second) = (ctx.a.commit ?? "") <= (ctx.b.commit ?? "") ? (ctx.a, ctx.b) : (ctx.b, ctx.a)
                ctx.conflicts.append(record(pointer: ["items", String(i), "invoicedParts"], base: nil, winner: JSONValue.encoding(item.invoicedParts), loser: nil,
                                            winnerSide: first, loserSide: second,
                                            reason: "item \"\(item.ref)\" (quantity \(item.quantity)) was invoiced concurrently beyond its quantity by \(takers); void one of those invoices (or lower its quantity), then resolve with --take ours"))
            }
            if item != before { items[i] = JSONValue.encoding(item) }
        }
        m["items"] = .array(items)
        return .object(m)
    }

    /// Credit notes issued for this invoice on both sides (their `credited` events) that
    /// together take more of a line than its quantity: a record at that line's quantity names
    /// the credit notes; one of them is voided to repair it (Invoicing.voidDuplicateCredit).
    static func recordDoubleCredit(_ m: [String: JSONValue], base: JSONValue, a: JSONValue, b: JSONValue, ctx: inout Context) {
        guard ctx.recordConflicts else { return }
        let baseIDs = Set((base["events"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue })
        func added(_ doc: JSONValue) -> [JSONValue] {
            (doc["events"]?.arrayValue ?? []).filter { $0["type"]?.stringValue == EventType.credited.rawValue && !baseIDs.contains($0["id"]?.stringValue ?? "") }
        }
        guard !added(a).isEmpty, !added(b).isEmpty else { return }
        let credits = (m["events"]?.arrayValue ?? []).filter { $0["type"]?.stringValue == EventType.credited.rawValue }
        for (i, line) in (m["lines"]?.arrayValue ?? []).enumerated() {
            guard let lineID = line["id"]?.stringValue, let quantity = line["quantity"]?.stringValue.flatMap(ExactDecimal.init) else { continue }
            var total = ExactDecimal(0)
            var notes: [String] = []
            for event in credits {
                for taken in event["credited"]?.arrayValue ?? [] where taken["lineId"]?.stringValue == lineID {
                    let q = taken["quantity"]?.stringValue.flatMap(ExactDecimal.init) ?? ExactDecimal(0)
                    total = total + q
                    notes.append("\(event["note"]?.stringValue ?? event["creditNote"]?.stringValue ?? "a credit note") (\(q))")
                }
            }
            guard ExactDecimal.isLess(quantity, than: total) else { continue }
            let (first, second) = (ctx.a.commit ?? "") <= (ctx.b.commit ?? "") ? (ctx.a, ctx.b) : (ctx.b, ctx.a)
            ctx.conflicts.append(record(pointer: ["lines", String(i), "quantity"], base: nil, winner: line["quantity"], loser: .string(total.description),
                                        winnerSide: first, loserSide: second,
                                        reason: "line \"\(lineID)\" (quantity \(quantity)) was credited \(total) in all by credit notes issued concurrently: \(notes.sorted().joined(separator: ", ")); void the credit note issued in error (folio invoice void ID), then resolve with --take ours"))
        }
    }

    /// Finality (SPEC §4): an acceptance fixes the content of the revision it accepted. A
    /// content edit made concurrently with it is not applied; it is kept as a conflict record.
    static func applyFinality(_ m: inout [String: JSONValue], base: JSONValue, a: JSONValue, b: JSONValue, ctx: inout Context) {
        // The first acceptance (by time, then id) is the one that fixes the content; a second
        // acceptance of another revision made elsewhere at the same time cannot unfix it.
        func acceptances(_ doc: JSONValue) -> [(String, String)] {
            (doc["events"]?.arrayValue ?? []).filter { $0["type"]?.stringValue == "accepted" }
                .map { ($0["at"]?.stringValue ?? "", $0["id"]?.stringValue ?? "") }
        }
        guard let first = (acceptances(a) + acceptances(b)).min(by: { $0 < $1 }) else { return }
        let inBase = acceptances(base).contains { $0 == first }
        let inA = acceptances(a).contains { $0 == first }, inB = acceptances(b).contains { $0 == first }
        guard !inBase, inA != inB else { return }
        let (accepter, editor, accSide, editSide) = inA ? (a, b, ctx.a, ctx.b) : (b, a, ctx.b, ctx.a)
        let accepted = Workflow.content(of: accepter)
        let edited = Workflow.content(of: editor)
        let original = Workflow.content(of: base)
        guard case .object(let acceptedFields) = accepted, case .object(let editedFields) = edited else { return }
        let baseFields = original.objectValue ?? [:]
        let revision = (accepter["events"]?.arrayValue ?? []).first { $0["id"]?.stringValue == first.1 }?["revision"]?.intValue ?? accepter["revision"]?.intValue ?? 0
        for key in Set(acceptedFields.keys).union(editedFields.keys).union(baseFields.keys).sorted()
        where editedFields[key] != baseFields[key] && editedFields[key] != acceptedFields[key] {
            let prefix = "/" + JSONPointer.escape(key)
            ctx.conflicts.removeAll { $0.path == prefix || $0.path.hasPrefix(prefix + "/") }
            m[key] = accepter[key]
            if ctx.recordConflicts {
                ctx.conflicts.append(record(pointer: [key], base: baseFields[key], winner: acceptedFields[key], loser: editedFields[key],
                                            winnerSide: accSide, loserSide: editSide,
                                            reason: "edited concurrently with the acceptance of revision \(revision); accepted content is final"))
            }
        }
        m["revision"] = accepter["revision"]
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
