/// The sync core (SPEC §4): a three-way merge of one document that knows what its fields
/// mean. Pure and symmetric: merge(base, x, y) == merge(base, y, x), with no clock and no
/// randomness, so every replica that merges the same commits writes the same bytes.
/// docs/merge.md explains the rules with examples.

/// One side of a merge: the commit it comes from and who made it.
public struct MergeSide: Sendable, Hashable {
    public var commit: String?
    public var author: String?
    public init(commit: String?, author: String?) { self.commit = commit; self.author = author }
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
        /// True when side a's values win conflicts: the later edit (document updatedAt), then
        /// the larger commit id — properties of the sides, not of their order.
        let aWins: Bool
        let recordConflicts: Bool
        var conflicts: [ConflictRecord] = []

        mutating func conflict(_ pointer: [String], base: JSONValue?, a av: JSONValue?, b bv: JSONValue?, reason: String) -> JSONValue? {
            let (winner, loser, ws, ls) = aWins ? (av, bv, a, b) : (bv, av, b, a)
            if recordConflicts {
                conflicts.append(DocumentMerge.record(pointer: pointer, base: base, winner: winner, loser: loser, winnerSide: ws, loserSide: ls, reason: reason))
            }
            return winner
        }
    }

    static func record(pointer: [String], base: JSONValue?, winner: JSONValue?, loser: JSONValue?, winnerSide: MergeSide, loserSide: MergeSide, reason: String) -> ConflictRecord {
        let path = JSONPointer(tokens: pointer).description
        // The id is derived from what the record says, so replicas that record the same
        // conflict hold one record.
        var fingerprint = path + "\u{0}" + canonical(base) + "\u{0}" + canonical(winner) + "\u{0}" + canonical(loser)
        fingerprint += "\u{0}" + reason
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
    public static func merge(path: String, base: JSONValue?, a: JSONValue?, b: JSONValue?, sideA: MergeSide, sideB: MergeSide,
                             recordConflicts: Bool = true) throws(MergeFailure) -> MergeOutcome {
        if a == b { return MergeOutcome(result: a, conflicts: [], voidedNumbers: []) }
        if base == a { return MergeOutcome(result: b, conflicts: [], voidedNumbers: []) }
        if base == b { return MergeOutcome(result: a, conflicts: [], voidedNumbers: []) }
        let kind = self.kind(of: path)
        let aKey = (a?["updatedAt"]?.stringValue ?? "", sideA.commit ?? "", canonical(a))
        let bKey = (b?["updatedAt"]?.stringValue ?? "", sideB.commit ?? "", canonical(b))
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
            applyRevisionAndStamps(&m, base: baseObj, a: av, b: bv, aWins: ctx.aWins)
            voided = applyNumberRule(&m, base: baseObj, a: av, b: bv, ctx: &ctx)
            applyFinality(&m, base: baseObj, a: av, b: bv, ctx: &ctx)
            recordRacesWithAcceptance(base: baseObj, a: av, b: bv, ctx: &ctx)
            merged = .object(m)
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
            } else {
                if av == nil && cv == nil { continue }
                if bv != nil && av == nil && cv == bv { continue }   // deleted on a, untouched on b
                if bv != nil && cv == nil && av == bv { continue }   // deleted on b, untouched on a
            }
            keep.append((k, bv, av, cv))
        }
        var out: [JSONValue] = []
        for (i, (_, bv, av, cv)) in keep.enumerated() {
            let here = pointer + [String(i)]
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
    static func applyRevisionAndStamps(_ m: inout [String: JSONValue], base: JSONValue, a: JSONValue, b: JSONValue, aWins: Bool) {
        let rev = [base["revision"], a["revision"], b["revision"]].compactMap { $0?.intValue }.max()
        if let rev { m["revision"] = .int(rev) }
        let later = aWins ? a : b
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
