public import FolioModel
import FolioRepo

/// Seed 004's invoice write bodies (POST /invoices, PUT /invoices/{id}) in Folio's terms.
///
/// Folio computes some of seed 004's fields and refuses them as input (422, naming the field):
/// the number is given when an invoice is first sent (SPEC §3), balances and `status` follow
/// from the lines and payments, and the customer and lines come from the order. What a
/// seller may write maps onto Folio's document as an RFC 7396 merge patch, so an update is one
/// commit through the same edit as `folio invoice update --patch`.
public enum Seed004Request {
    /// A create: the order to invoice (`orderNumber`), which of its open items (`items`,
    /// Folio's addition; all when absent), and the writable fields as a patch.
    public struct Create: Sendable {
        public var orderID: String
        public var items: [String]?
        public var dueDate: String?
        public var patch: [String: JSONValue]
    }

    public static func create(_ members: [String: JSONValue]) throws -> Create {
        var patch: [String: JSONValue] = [:]
        var order: String?
        var items: [String]?
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "orderNumber":
                guard case .string(let id) = value, DocumentPaths.validateID(id) == nil else { throw bad(key, "must be the id of an order (a string)") }
                order = id
            case "items":
                guard case .array(let list) = value else { throw bad(key, "must be an array of order item refs (strings)") }
                items = try list.map { item in
                    guard case .string(let ref) = item else { throw bad(key, "must be an array of order item refs (strings)") }
                    return ref
                }
            default:
                if value == .null { continue }   // nothing to set on a new invoice
                try writable(key, value, into: &patch)
            }
        }
        guard let order else { throw bad("orderNumber", "required: Folio invoices an order's items (POST /orders/{id}/invoices does the same)") }
        var dueDate: String?
        if case .string(let date) = patch.removeValue(forKey: "dueDate") { dueDate = date }
        return Create(orderID: order, items: items, dueDate: dueDate, patch: patch)
    }

    /// An update: seed 004's writable fields, and Folio's whole-document merge patch under
    /// `document` (Folio's addition, for lines and everything seed 004 has no name for).
    public static func update(_ members: [String: JSONValue]) throws -> JSONValue {
        var patch: [String: JSONValue] = [:]
        for (key, value) in members.sorted(by: { $0.key < $1.key }) where key != "document" {
            try writable(key, value, into: &patch)
        }
        var result = JSONValue.object(patch)
        if let document = members["document"] {
            guard case .object = document else { throw bad("document", "must be an object: an RFC 7396 merge patch of Folio's invoice document") }
            result = MergePatch.apply(document, to: result)
        }
        guard case .object(let all) = result, !all.isEmpty || !members.isEmpty else { throw bad("", "send at least one field to change") }
        return result
    }

    /// Fields Folio computes or takes from the order, with the reason it refuses them.
    static let managed: [String: String] = [
        "id": "is the invoice's file name and never changes",
        "invoiceNumber": "is given by Folio when the invoice is first sent (SPEC §3: gapless series, no collisions offline)",
        "status": "follows from the payments (0 open, 1 partially paid, 2 paid)",
        "originalBalance": "is the total of the lines and cost lines",
        "openBalance": "is the total less the payments",
        "customerId": "comes from the order",
        "details": "comes from the order's items and the invoice's lines (edit lines with `document`)",
        "issuedAt": "is the day of the first send",
        "type": "is set when the invoice is made (invoice, or credit_note through a credit)",
        "source": "is always Folio",
        "channelId": "comes from the order",
    ]

    static func writable(_ key: String, _ value: JSONValue, into patch: inout [String: JSONValue]) throws {
        if let why = managed[key] { throw FolioError.invalid(DocumentError(file: "request body", pointer: "/" + key, rule: "api/managed", "\(key) \(why)")) }
        let target: String
        switch key {
        case "purchaseOrderNumber", "externalId", "externalCustomerId", "externalPdfUrl", "note": target = key
        case "termsConditions": target = "terms"
        case "dueDate":
            if value == .null { throw bad(key, "cannot be removed; an invoice has a due date") }
            guard case .int(let seconds) = value, seconds >= 0, seconds < 253_402_300_800 else { throw bad(key, "must be a Unix timestamp (whole seconds)") }
            patch["dueDate"] = .string(Dates.formatDate(days: Int(seconds / 86_400)))
            return
        case "extraFields":
            if value == .null { patch["extraFields"] = .null; return }
            guard case .array(let list) = value else { throw bad(key, "must be an array of {\"fieldName\", \"fieldValue\"}") }
            patch["extraFields"] = .array(try list.enumerated().map { i, item in
                guard case .object(let field) = item, case .string(let name)? = field["fieldName"], case .string(let text)? = field["fieldValue"],
                      field.count == 2 else { throw bad("\(key)/\(i)", "must be {\"fieldName\": TEXT, \"fieldValue\": TEXT}") }
                return .object(["fieldName": .string(name), "fieldValue": .string(text)])
            })
            return
        default:
            throw bad(key, "unknown field; writable are dueDate, purchaseOrderNumber, externalId, externalCustomerId, externalPdfUrl, termsConditions, extraFields and note")
        }
        switch value {
        case .string, .null: patch[target] = value
        default: throw bad(key, "must be a string (or null to remove it)")
        }
    }

    static func bad(_ key: String, _ message: String) -> FolioError {
        FolioError.usage(key.isEmpty ? message : "/\(key): \(message)")
    }
}
