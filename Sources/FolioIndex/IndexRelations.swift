import Foundation
public import FolioModel
import GRDB

/// The holders of a relation between documents, for a check of only the documents a range of
/// commits changed (`validate --since`): each answer is one lookup in an index of the tables.
extension RepositoryIndex: RelatedDocuments {
    public func invoicePaths(holding relation: DocumentRelation) throws -> [String] {
        try read { db in
            switch relation {
            case .order(let id):
                return try String.fetchAll(db, sql: "SELECT path FROM invoices WHERE order_id = ? AND type <> ?", arguments: [id, InvoiceType.creditNote])
            case .invoice(let id):
                return try String.fetchAll(db, sql: "SELECT path FROM invoices WHERE credit_note_for = ?", arguments: [id])
            case .number(let number):
                // number_key is the number as filters compare it (lowercased, NFC): the exact
                // number is confirmed on each row.
                return try Row.fetchAll(db, sql: "SELECT path, number FROM invoices WHERE number_key = ?", arguments: [nfc(number.lowercased())])
                    .filter { ($0["number"] as String?) == number }.map { $0["path"] }
            case .uniqueValue(let field, let value):
                // The unique rule reads an invoice's first value of the field; any holder is a
                // candidate, and the check itself decides.
                return try String.fetchAll(db, sql: """
                    SELECT DISTINCT i.path FROM invoice_extra_fields e JOIN invoices i ON i.rowid = e.invoice
                    WHERE e.name = ? AND e.value = ?
                    """, arguments: [field, value])
            }
        }
    }

    public func seriesInUse(_ prefixes: Set<String>) throws -> [String: Set<Int>] {
        guard !prefixes.isEmpty else { return [:] }
        return try read { db in
            var used: [String: Set<Int>] = Dictionary(uniqueKeysWithValues: prefixes.map { ($0, []) })
            func add(_ number: String) {
                if let (prefix, sequence) = Series.parse(number), prefixes.contains(prefix) { used[prefix]?.insert(sequence) }
            }
            for prefix in prefixes {
                // number_seq is set when the number parses as a series number, so the number is
                // PREFIX-DIGITS exactly when it starts with "PREFIX-" and has no dash after it.
                let sequences = try Int.fetchCursor(db, sql: """
                    SELECT number_seq FROM invoices WHERE number_seq IS NOT NULL
                    AND substr(number, 1, length(?1) + 1) = ?1 || '-' AND instr(substr(number, length(?1) + 2), '-') = 0
                    """, arguments: [prefix])
                while let sequence = try sequences.next() { used[prefix]?.insert(sequence) }
            }
            let voided = try String.fetchCursor(db, sql: "SELECT voided_numbers FROM invoices WHERE voided_numbers IS NOT NULL")
            while let lines = try voided.next() {
                for number in lines.split(separator: "\n") { add(String(number)) }
            }
            return used
        }
    }
}
