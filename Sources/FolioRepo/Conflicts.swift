import Foundation
import FolioGit
public import FolioModel

/// Conflict records left by merges (SPEC §4) and their resolution, one commit each.
extension FolioRepository {
    public struct OpenConflict {
        public var kind: DocumentKind
        public var documentID: String
        public var file: String
        /// The customer the document belongs to: a buyer sees only its own (SPEC §3).
        public var customerID: String?
        public var record: ConflictRecord
    }

    /// Every unresolved conflict record, in invoices and orders.
    public func openConflicts() throws -> [OpenConflict] {
        guard let head = try head() else { return [] }
        var out: [OpenConflict] = []
        for kind in DocumentKind.allCases {
            for entry in try git.listFiles(at: head, under: kind.folder) where entry.path.hasSuffix(".json") {
                let data = try git.readBlob(entry.blob)
                // Cheap test first: most documents have no conflicts at all.
                guard data.range(of: Data("\"conflicts\"".utf8)) != nil, let json = try? JSONValue.parse(data),
                      let records = json["conflicts"]?.arrayValue, !records.isEmpty else { continue }
                for r in records {
                    if let record = try? r.decode(ConflictRecord.self) {
                        out.append(OpenConflict(kind: kind, documentID: json["id"]?.stringValue ?? "?", file: entry.path,
                                                customerID: json["customer"]?["id"]?.stringValue, record: record))
                    }
                }
            }
        }
        return out
    }

    public enum Resolution {
        case ours, theirs
        case value(JSONValue)
    }

    /// Clears the conflict record(s) at `path` in document `id`, applying the chosen value:
    /// `ours` keeps what the merge chose, `theirs` takes the value that lost, or a new value.
    public func resolve(id: String, path: String, take: Resolution, caller: Caller) throws -> Written<JSONValue> {
        try transact(caller) { snap, actor, stamp in
            let kind: DocumentKind = try snap.data(DocumentPaths.path(.invoice, id: id)) != nil ? .invoice : .order
            let file = DocumentPaths.path(kind, id: id)
            guard let data = try snap.data(file) else { throw FolioError.notFound(kind: "invoice or order", id: id) }
            var json = try DocumentCodec.parse(data, file: file)
            let records = (json["conflicts"]?.arrayValue ?? []).compactMap { try? $0.decode(ConflictRecord.self) }
            let matching = records.filter { $0.path == path || $0.id == path }
            guard let record = matching.first else {
                let known = records.map { "\($0.path) (\($0.id))" }.joined(separator: ", ")
                throw FolioError.refused(Refusal("\(kind.rawValue) \(id) has no unresolved conflict at \(path)\(known.isEmpty ? "" : "; its conflicts: \(known)")"))
            }
            let pointer = try JSONPointer(parsing: record.path)
            let original = json
            switch take {
            case .ours: break
            case .theirs: json = record.theirs.map { v in (try? pointer.set(v, in: json)) ?? json } ?? pointer.remove(in: json)
            case .value(let v): json = try pointer.set(v, in: json)
            }
            let remaining = records.filter { r in !matching.contains { $0.id == r.id } }
            if case .object(var m) = json {
                m["conflicts"] = remaining.isEmpty ? nil : .array(remaining.map { JSONValue.encoding($0) })
                json = .object(m)
            }
            let contentChanged = Workflow.content(of: original) != Workflow.content(of: json)
            if contentChanged && !actor.isSeller {
                throw FolioError.refused(Refusal("\(actor.email) is a buyer; only a seller can change content when resolving (a buyer may --take ours)"))
            }
            var changes = Changes()
            let how: String
            switch take {
            case .ours: how = "kept the merged value"
            case .theirs: how = "took the other value"
            case .value: how = "set a new value"
            }
            if kind == .invoice {
                let (old, _) = try snap.invoice(id)
                var doc = try DocumentCodec.decode(Invoice.self, json: json, schema: Schemas.invoice, file: file)
                let status = Workflow.status(events: old.events, revision: old.revision)
                if contentChanged && (status == .accepted || status == .issued) {
                    throw FolioError.refused(Refusal("invoice \(Workflow.label(old)) is \(status.rawValue) and its content is final; dismiss the record with --take ours (a correction goes through a credit note)"))
                }
                if contentChanged, let sent = Workflow.lastSentRevision(old.events), doc.revision <= sent { doc.revision = sent + 1 }
                doc.updatedBy = actor.email
                doc.updatedAt = stamp.at
                try changes.put(invoice: doc)
                // A final invoice keeps its order items (a void that raced the acceptance gave
                // them back): resolving marks them invoiced by it again.
                let finalStatus = Workflow.status(events: doc.events, revision: doc.revision)
                if finalStatus == .accepted || finalStatus == .issued, doc.type != InvoiceType.creditNote,
                   let orderID = doc.orderId, let (order, _) = try? snap.order(orderID) {
                    var updated = order
                    for line in doc.lines {
                        guard let ref = line.orderItemRef, let i = updated.items.firstIndex(where: { $0.ref == ref }),
                              let quantity = ExactDecimal(line.quantity),
                              ExactDecimal.isLess(updated.items[i].invoicedQuantity(of: doc.id), than: quantity) else { continue }
                        updated.items[i].setTake(invoiceID: doc.id, quantity: quantity)
                    }
                    if updated != order { changes.put(order: updated) }
                }
                let result = try doc.derived()
                return try staged(JSONValue.encoding(result), changes, "Resolve conflict on invoice \(Workflow.label(old)) at \(record.path): \(how)")
            } else {
                let order = try DocumentCodec.decode(Order.self, json: json, schema: Schemas.order, file: file)
                changes.put(order: order)
                return try staged(JSONValue.encoding(order), changes, "Resolve conflict on order \(id) at \(record.path): \(how)")
            }
        }
    }
}
