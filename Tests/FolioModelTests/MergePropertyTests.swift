import Foundation
import Testing
@testable import FolioModel

/// SPEC §4's five properties on random histories: 3–5 replicas of one invoice, random seller
/// and buyer actions offline, random pairwise syncs (which make criss-cross merges), then
/// everyone syncs. A fixed seed set keeps CI's share bounded; FOLIO_SOAK=N runs N more seeds.
@Suite("Merge properties on random histories")
struct MergePropertyTests {
    typealias Rng = SplitMix64

    /// A commit in the simulated history: one invoice document.
    struct Node {
        var id: String
        var parents: [String]
        var doc: JSONValue
        var author: String
        var depth: Int
    }

    final class History {
        var nodes: [String: Node] = [:]
        var counter = 0
        var minute = 0

        func add(parents: [String], doc: JSONValue, author: String) -> String {
            counter += 1
            let id = String(format: "%040x", counter * 7919)
            let depth = (parents.compactMap { nodes[$0]?.depth }.max() ?? 0) + 1
            nodes[id] = Node(id: id, parents: parents, doc: doc, author: author, depth: depth)
            return id
        }

        func ancestors(_ id: String) -> Set<String> {
            var seen: Set<String> = [], stack = [id]
            while let n = stack.popLast() {
                if seen.insert(n).inserted { stack += nodes[n]!.parents }
            }
            return seen
        }

        /// Lowest common ancestors, like git's merge bases (all of them, for criss-crosses).
        func mergeBases(_ a: String, _ b: String) -> [String] {
            let common = ancestors(a).intersection(ancestors(b))
            let lowest = common.filter { c in !common.contains { other in other != c && ancestors(other).contains(c) } }
            return lowest.sorted()
        }

        func baseDoc(_ bases: [String]) throws -> JSONValue? {
            guard let first = bases.first else { return nil }
            var current: JSONValue? = nodes[first]!.doc
            var currentID = first
            for other in bases.dropFirst() {
                let next = nodes[other]!.doc
                if next == current { continue }
                let deeper = try baseDoc(mergeBases(currentID, other))
                current = try DocumentMerge.merge(path: MergeTests.path, base: deeper, a: current, b: next,
                                                  sideA: MergeSide(commit: currentID, author: nil), sideB: MergeSide(commit: other, author: nil),
                                                  recordConflicts: false).result
                currentID = other
            }
            return current
        }

        /// Merges b into a (as replica a would); returns the new head.
        func merge(_ a: String, _ b: String, symmetryCheck: Bool = true) throws -> String {
            if a == b || ancestors(a).contains(b) { return a }
            if ancestors(b).contains(a) { return b }
            let base = try baseDoc(mergeBases(a, b))
            let (na, nb) = (nodes[a]!, nodes[b]!)
            let one = try DocumentMerge.merge(path: MergeTests.path, base: base, a: na.doc, b: nb.doc,
                                              sideA: MergeSide(commit: a, author: na.author), sideB: MergeSide(commit: b, author: nb.author))
            if symmetryCheck {
                let two = try DocumentMerge.merge(path: MergeTests.path, base: base, a: nb.doc, b: na.doc,
                                                  sideA: MergeSide(commit: b, author: nb.author), sideB: MergeSide(commit: a, author: na.author))
                #expect(one.result.map(CanonicalJSON.bytes) == two.result.map(CanonicalJSON.bytes), "property 1: A into B equals B into A")
                // Property 3: merging again changes nothing.
                let again = try DocumentMerge.merge(path: MergeTests.path, base: one.result, a: one.result, b: one.result,
                                                    sideA: MergeSide(commit: a, author: nil), sideB: MergeSide(commit: b, author: nil))
                #expect(again.result == one.result, "property 3: idempotent")
            }
            // SPEC §4: every merged state is valid, or carries a record naming what must be decided.
            let merged = try #require(one.result)
            let errors = Validator.documentFindings(path: MergeTests.path, data: Data(CanonicalJSON.bytes(merged)))
                .filter { $0.severity == .error && $0.rule != "conflicts/unresolved" }
            let recorded = !(merged["conflicts"]?.arrayValue ?? []).isEmpty
            #expect(errors.isEmpty || recorded, "merged state fails validate with no record: \(errors.map(\.description))")
            return add(parents: [a, b], doc: merged, author: "merge")
        }
    }

    /// Everything an action created that must survive.
    struct Ledger {
        var events: Set<String> = []
        var payments: Set<String> = []
        var notes: [(node: String, value: String)] = []
    }

    static func act(_ history: History, _ head: String, _ rng: inout Rng, replica: Int, ledger: inout Ledger) throws -> String {
        history.minute += 1 + rng.int(3)
        let at = String(format: "2026-03-%02dT%02d:%02d:00Z", 1 + history.minute / 1440, (history.minute / 60) % 24, history.minute % 60)
        let inv = try history.nodes[head]!.doc.decode(Invoice.self)
        let seller = replica % 2 == 0 ? Fx.seller : Fx.seller2
        let tag = "r\(replica)-m\(history.minute)"
        var next: Invoice?
        var author = seller.email
        switch rng.int(7) {
        case 0, 1:
            var edited = inv
            let note = "note \(tag)"
            edited.note = note
            if rng.int(2) == 0 { edited.lines[rng.int(edited.lines.count)].quantity = String(1 + rng.int(9)) }
            if let r = try? Workflow.edit(old: inv, new: edited, oldJSON: jsonOf(inv), newJSON: jsonOf(edited), by: seller, at: at) {
                next = r
            }
        case 2:
            let number = inv.number ?? "\(replica % 2 == 0 ? "A" : "B")-\(String(format: "%05d", history.counter))"
            next = try? Workflow.send(inv, by: seller, at: at, eventID: "ev-send-\(tag)", requireApproval: true, number: number)
        case 3:
            let type: EventType = [.accepted, .declined, .changesRequested][rng.int(3)]
            next = try? Workflow.respond(inv, with: type, by: Fx.buyer, at: at, eventID: "ev-\(type.rawValue)-\(tag)", text: "because \(tag)")
            author = Fx.buyer.email
        case 4:
            next = try? Workflow.pay(inv, by: seller, payment: Payment(id: "pay-\(tag)", amount: Int64(100 + rng.int(900)), date: "2026-03-02", method: nil, reference: nil, by: seller.email, at: at))
        case 5:
            if rng.int(4) == 0 { next = try? Workflow.void(inv, by: seller, at: at, eventID: "ev-void-\(tag)", reason: "void \(tag)") }
        default:
            break
        }
        guard let changed = next else { return head }
        let derived = try changed.derived()
        let id = history.add(parents: [head], doc: jsonOf(derived), author: author)
        for e in derived.events where !inv.events.contains(e) { ledger.events.insert(e.id) }
        for p in derived.payments where !inv.payments.contains(p) { ledger.payments.insert(p.id) }
        if derived.note != inv.note, let n = derived.note { ledger.notes.append((id, n)) }
        return id
    }

    static func run(seed: UInt64) throws {
        var rng = Rng(state: seed)
        let history = History()
        let replicas = 3 + rng.int(3)
        let root = history.add(parents: [], doc: jsonOf(try Fx.invoice()), author: Fx.seller.email)
        var heads = Array(repeating: root, count: replicas)
        var ledger = Ledger()
        for _ in 0..<(30 + rng.int(30)) {
            if rng.int(4) == 0 {
                let (i, j) = (rng.int(replicas), rng.int(replicas))
                heads[i] = try history.merge(heads[i], heads[j])
            } else {
                let r = rng.int(replicas)
                heads[r] = try act(history, heads[r], &rng, replica: r, ledger: &ledger)
            }
        }
        // Everyone syncs with everyone (twice round), in a seed-dependent order.
        for _ in 0..<2 {
            for i in (0..<replicas).shuffled(using: &rng) {
                for j in (0..<replicas).shuffled(using: &rng) where i != j { heads[i] = try history.merge(heads[i], heads[j]) }
            }
        }
        // Property 2: replicas that have seen the same commits hold identical documents.
        let finals = heads.map { CanonicalJSON.bytes(history.nodes[$0]!.doc) }
        #expect(Set(finals.map { Data($0) }).count == 1, "property 2: convergence (seed \(seed))")
        let final = try history.nodes[heads[0]]!.doc.decode(Invoice.self)

        // Property 4: no event, payment or edit is lost.
        #expect(ledger.events.isSubset(of: Set(final.events.map(\.id))), "events kept (seed \(seed))")
        #expect(ledger.payments.isSubset(of: Set(final.payments.map(\.id))), "payments kept (seed \(seed))")
        let recorded = Set((final.conflicts ?? []).flatMap { [$0.ours, $0.theirs, $0.base] }.compactMap { $0 }.flatMap { v -> [String] in
            if let s = v.stringValue { return [s] }
            return []
        })
        for (node, value) in ledger.notes {
            // Superseded on purpose: a later note edit that descends from this one.
            let superseded = ledger.notes.contains { other in other.node != node && history.ancestors(other.node).contains(node) }
            if superseded { continue }
            #expect(final.note == value || recorded.contains(value), "edit \"\(value)\" is in the result or a conflict record (seed \(seed))")
        }
        // Property 5: the content fixed by the first acceptance never changes afterwards.
        if let first = final.events.filter({ $0.type == .accepted }).min(by: { ($0.at, $0.id) < ($1.at, $1.id) }) {
            let acceptedAt = history.nodes.values.filter { n in
                n.parents.count == 1 && (n.doc["events"]?.arrayValue ?? []).contains { $0["id"]?.stringValue == first.id }
                    && !(history.nodes[n.parents[0]]!.doc["events"]?.arrayValue ?? []).contains { $0["id"]?.stringValue == first.id }
            }
            let origin = try #require(acceptedAt.first)
            #expect(Workflow.content(of: jsonOf(final)) == Workflow.content(of: origin.doc), "accepted content unchanged (seed \(seed))")
            #expect(final.status == .accepted)
        }
    }

    static let seeds: [UInt64] = {
        var s = Array(UInt64(1)...UInt64(40))
        if let extra = ProcessInfo.processInfo.environment["FOLIO_SOAK"].flatMap(Int.init) { s += (0..<UInt64(extra)).map { 1_000 + $0 } }
        return s
    }()

    @Test("random histories converge, merge symmetrically and idempotently, and lose nothing", arguments: MergePropertyTests.seeds)
    func randomHistories(seed: UInt64) throws {
        try Self.run(seed: seed)
    }
}
