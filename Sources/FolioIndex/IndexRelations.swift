import Foundation
public import FolioModel
import FolioGit
import GRDB

/// The holders of a relation between documents, for a check of only the documents a range of
/// commits changed (`validate --since`): each answer is one lookup in an index of the tables.
extension RepositoryIndex: RelatedDocuments {
    public var indexedCommit: String? { commit?.hex }

    public func hasMisplacedDocuments() throws -> Bool {
        // IndexWriter.pathProblem's rule, in the problem's sentence.
        try read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM problems WHERE instr(message, 'error[path/mismatch]') > 0)") ?? false }
    }

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
                // candidate, and the check itself decides. Keys in NFC: Swift compares
                // canonically equivalent text as equal, SQLite compares bytes.
                return try String.fetchAll(db, sql: """
                    SELECT DISTINCT i.path FROM invoice_extra_fields e JOIN invoices i ON i.rowid = e.invoice
                    WHERE e.name_key = ? AND e.value_key = ?
                    """, arguments: [nfc(field), nfc(value)])
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
            // series_key is the prefix in NFC (Swift compares canonically equivalent text as
            // equal, SQLite compares bytes); each number is then parsed as the full check does.
            for prefix in prefixes {
                let numbers = try String.fetchCursor(db, sql: "SELECT number FROM invoices WHERE series_key = ?", arguments: [nfc(prefix)])
                while let number = try numbers.next() { add(number) }
            }
            let voided = try String.fetchCursor(db, sql: "SELECT voided_numbers FROM invoices WHERE voided_numbers IS NOT NULL")
            while let list = try voided.next() {
                for case .string(let number) in (try? JSONValue.parse(Data(list.utf8)))?.arrayValue ?? [] { add(number) }
            }
            return used
        }
    }
}
