import Foundation
import FolioGit
import FolioModel
import GRDB
import GRDBSQLite

/// Which documents the index holds, by path.
enum DocumentClass: String, Sendable {
    case invoice, order, parties

    /// The same selection as `Snapshot.invoices()` / `orders()`: any .json below the folder.
    init?(path: String) {
        if path == DocumentPaths.parties { self = .parties; return }
        guard path.hasSuffix(".json") else { return nil }
        if path.hasPrefix("invoices/") { self = .invoice; return }
        if path.hasPrefix("orders/") { self = .order; return }
        return nil
    }
}

/// One document read and checked, ready to be written.
enum IngestResult: Sendable {
    case invoice(path: String, InvoiceRecord)
    case order(path: String, OrderRecord)
    case parties(Parties)
    case problem(path: String, kind: DocumentClass, messages: [String])
}

/// Writes records into an open transaction. One writer per transaction.
final class IndexWriter {
    let db: Database
    private let insertInvoice: RawInsert
    private let insertSearch: RawInsert
    private let insertLine: RawInsert
    private let insertExtra: RawInsert
    private let insertOrder: RawInsert
    private let insertOpenItem: RawInsert
    private let insertProblem: Statement

    init(_ db: Database) throws {
        self.db = db
        insertInvoice = try RawInsert(db,  """
            INSERT INTO invoices(path, id, number, number_key, number_seq, number_sort, type, type_key, order_id, credit_note_for,
                customer_id, customer_name, customer_email, customer_external_id, name_lower, channel, channel_key, po_number,
                currency, issue_date, due_date, status, status_f, status_sort, status_ev, payment_status, payment_f, revision,
                subtotal, discount, tax, total, paid, open, open_c, total_c, external_id, external_key, ext_customer_id, ext_customer_sort,
                created_at, created_date, updated_at, search_text, has_events, cr_note, conflict_count, owed, brp_state, voided_numbers, series_key)
            VALUES (?,?,?,?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?,?,?,?)
            """)
        insertSearch = try RawInsert(db,  "INSERT INTO invoice_search(rowid, number, type, order_id, po_number, customer_id, ext_customer_id, customer_name) VALUES (?,?,?,?,?,?,?,?)")
        insertLine = try RawInsert(db,  "INSERT OR IGNORE INTO invoice_lines(invoice, product_key) VALUES (?,?)")
        insertExtra = try RawInsert(db,  "INSERT INTO invoice_extra_fields(invoice, position, name, value, name_key, value_key) VALUES (?,?,?,?,?,?)")
        insertOrder = try RawInsert(db,  """
            INSERT INTO orders(path, id, number, customer_id, customer_name, customer_email, customer_external_id, channel, currency,
                po_number, created_at, item_count, open_count) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
            """)
        insertOpenItem = try RawInsert(db,  """
            INSERT INTO order_open_items(order_row, position, ref, product_id, sku, description, quantity, unit_price, tax_rate)
            VALUES (?,?,?,?,?,?,?,?,?)
            """)
        insertProblem = try db.makeStatement(sql: "INSERT OR REPLACE INTO problems(path, kind, message) VALUES (?,?,?)")
    }

    func write(_ result: IngestResult) throws {
        switch result {
        case .invoice(let path, let record):
            if let message = IndexWriter.pathProblem(path: path, kind: .invoice, id: record.id) {
                try problem(path: path, kind: .invoice, [message])
            } else {
                try invoice(path: path, record)
            }
        case .order(let path, let record):
            if let message = IndexWriter.pathProblem(path: path, kind: .order, id: record.id) {
                try problem(path: path, kind: .order, [message])
            } else {
                try order(path: path, record)
            }
        case .parties(let parties):
            try db.execute(sql: "DELETE FROM parties")
            let insert = try db.makeStatement(sql: "INSERT OR REPLACE INTO parties(email, role, customer_id, name) VALUES (?,?,?,?)")
            for (email, party) in parties.parties {
                try insert.execute(arguments: [nfc(email), party.role.rawValue, party.customerId, party.name])
            }
        case .problem(let path, let kind, let messages):
            try problem(path: path, kind: kind, messages)
        }
    }

    /// A document is listed under the id its path promises: `invoice show ID` and every
    /// write find it there. One that sits elsewhere is reported (as `folio validate` does)
    /// rather than listed under an id nothing else can reach.
    static func pathProblem(path: String, kind: DocumentKind, id: String) -> String? {
        let expected = DocumentPaths.path(kind, id: id)
        guard path != expected else { return nil }
        return Finding("path/mismatch", file: path, pointer: "/id", "holds \(kind.rawValue) \"\(id)\", whose place is \(expected); not indexed").description
    }

    private func problem(path: String, kind: DocumentClass, _ messages: [String]) throws {
        try insertProblem.execute(arguments: [path, kind.rawValue, messages.joined(separator: "\n")])
    }

    private func invoice(path: String, _ r: InvoiceRecord) throws {
        let t = r.totals
        let s = insertInvoice
        s.text(path); s.text(r.id)
        s.text(r.number); s.text(r.number.map { nfc($0.lowercased()) }); s.int(r.number.flatMap(Series.parse).map { Int64($0.sequence) }); s.text(nfc(r.number ?? ""))
        s.text(r.type); s.text(nfc(InvoiceQuery.normalize(r.type))); s.text(r.orderId); s.text(r.creditNoteFor)
        s.text(r.customer.id); s.text(r.customer.name); s.text(r.customer.email); s.text(r.customer.externalId); s.text(r.nameLower)
        s.text(r.channel); s.text(r.channel.map { nfc($0.lowercased()) }); s.text(r.purchaseOrderNumber)
        s.text(r.currency); s.text(r.issueDate); s.text(r.dueDate)
        s.text(r.status?.rawValue); s.text(r.filterStatus.rawValue); s.text((r.status ?? .draft).rawValue); s.text(r.eventStatus.rawValue)
        s.text(r.paymentStatus?.rawValue); s.text((r.paymentStatus ?? .open).rawValue); s.int(Int64(r.revision))
        s.int(t?.subtotal); s.int(t?.discount); s.int(t?.tax); s.int(t?.total); s.int(t?.paid); s.int(t?.open)
        s.int(t?.open ?? 0); s.int(t?.total ?? 0)
        s.text(r.externalId); s.text(r.externalId.map(nfc)); s.text(r.externalCustomerId); s.text(nfc(r.externalCustomerId ?? ""))
        s.text(r.createdAt); s.text(String(r.createdAt.prefix(10))); s.text(r.updatedAt)
        s.text(r.searchText); s.bool(!r.events.isEmpty)
        s.text(r.events.last(where: { $0.type == .changesRequested }).map { $0.note ?? "" }); s.int(Int64(r.conflictCount))
        s.bool((t?.open ?? 0) > 0 && IndexSchema.statuses.contains(r.filterStatus.rawValue) && r.type != InvoiceType.creditNote)
        s.int(Int64(r.brpState))
        // A JSON array: a number is any short text, so no separator character is safe.
        s.text(r.voidedNumbers.isEmpty ? nil : CanonicalJSON.string(.array(r.voidedNumbers.map { .string($0) })))
        s.text(r.number.flatMap(Series.parse).map { nfc($0.prefix) })
        let rowid = try s.run()
        let f = insertSearch
        f.int(rowid); f.text(r.number); f.text(r.type); f.text(r.orderId); f.text(r.purchaseOrderNumber); f.text(r.customer.id); f.text(r.externalCustomerId); f.text(r.customer.name)
        _ = try f.run()
        var products: [String] = []
        for case let product? in r.productIds {
            let key = nfc(product)
            guard !products.contains(key) else { continue }
            products.append(key)
            insertLine.int(rowid); insertLine.text(key)
            _ = try insertLine.run()
        }
        for (position, field) in r.extraFields.enumerated() {
            insertExtra.int(rowid); insertExtra.int(Int64(position)); insertExtra.text(field.fieldName); insertExtra.text(field.fieldValue)
            insertExtra.text(nfc(field.fieldName)); insertExtra.text(nfc(field.fieldValue))
            _ = try insertExtra.run()
        }
    }

    /// Only orders with open items are kept: that is all `list orders --open-items` asks.
    private func order(path: String, _ o: OrderRecord) throws {
        let open = o.items.enumerated().filter { $0.element.status == .open }
        guard !open.isEmpty else { return }
        let s = insertOrder
        s.text(path); s.text(o.id); s.text(o.number); s.text(o.customer.id); s.text(o.customer.name); s.text(o.customer.email); s.text(o.customer.externalId)
        s.text(o.channel); s.text(o.currency); s.text(o.purchaseOrderNumber); s.text(o.createdAt); s.int(Int64(o.items.count)); s.int(Int64(open.count))
        let rowid = try s.run()
        for (position, item) in open {
            let i = insertOpenItem
            i.int(rowid); i.int(Int64(position)); i.text(item.ref); i.text(item.productId); i.text(item.sku); i.text(item.description)
            i.text(item.openQuantity); i.int(item.unitPrice); i.text(item.taxRate)
            _ = try i.run()
        }
    }

    /// Removes whatever the index holds for `path`.
    func remove(path: String, kind: DocumentClass) throws {
        switch kind {
        case .invoice:
            if let rowid = try Int64.fetchOne(db.cachedStatement(sql: "SELECT rowid FROM invoices WHERE path = ?"), arguments: [path]) {
                for table in ["invoice_search WHERE rowid", "invoice_lines WHERE invoice", "invoice_extra_fields WHERE invoice", "invoices WHERE rowid"] {
                    try db.cachedStatement(sql: "DELETE FROM \(table) = ?").execute(arguments: [rowid])
                }
            }
        case .order:
            if let rowid = try Int64.fetchOne(db.cachedStatement(sql: "SELECT rowid FROM orders WHERE path = ?"), arguments: [path]) {
                try db.cachedStatement(sql: "DELETE FROM order_open_items WHERE order_row = ?").execute(arguments: [rowid])
                try db.cachedStatement(sql: "DELETE FROM orders WHERE rowid = ?").execute(arguments: [rowid])
            }
        case .parties:
            try db.execute(sql: "DELETE FROM parties")
        }
        try db.cachedStatement(sql: "DELETE FROM problems WHERE path = ?").execute(arguments: [path])
    }
}

// MARK: - Reading documents out of git

/// Reads and checks documents on all cores, handing the results to one writer in path
/// order. libgit2 wants one repository handle per thread, so each worker opens its own.
enum Ingest {
    struct Item: Sendable {
        let path: String
        let kind: DocumentClass
        let blob: GitOID
    }

    static func decode(_ item: Item, data: Data) -> IngestResult {
        switch item.kind {
        case .invoice:
            switch DocumentDecoding.invoice(data, file: item.path) {
            case .success(let r): return .invoice(path: item.path, r)
            case .failure(let e): return .problem(path: item.path, kind: .invoice, messages: e.findings.map(\.description))
            }
        case .order:
            switch DocumentDecoding.order(data, file: item.path) {
            case .success(let r): return .order(path: item.path, r)
            case .failure(let e): return .problem(path: item.path, kind: .order, messages: e.findings.map(\.description))
            }
        case .parties:
            do {
                return .parties(try DocumentCodec.decode(Parties.self, data: data, schema: Schemas.parties, file: item.path).0)
            } catch {
                return .problem(path: item.path, kind: .parties, messages: error.findings.map(\.description))
            }
        }
    }

    /// Read and decoded on `GitRepository.mapBlobs`'s workers, written in order here.
    static func run(git: GitRepository, items: [Item], consume: (IngestResult) throws -> Void) throws {
        try git.mapBlobs(items, blob: \.blob, transform: decode, consume: consume)
    }
}

/// An INSERT bound and stepped through SQLite's C API: for a rebuild's million rows,
/// GRDB's argument arrays cost more than the insert itself.
final class RawInsert {
    private let statement: Statement   // owns the sqlite3_stmt
    private let handle: OpaquePointer
    private let connection: OpaquePointer
    private var position: Int32 = 0
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ db: Database, _ sql: String) throws {
        statement = try db.makeStatement(sql: sql)
        handle = statement.sqliteStatement
        connection = db.sqliteConnection!
    }

    @inline(__always) func text(_ value: String?) {
        position += 1
        guard var value else { sqlite3_bind_null(handle, position); return }
        value.withUTF8 { buffer in
            _ = sqlite3_bind_text(handle, position, UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(buffer.count), RawInsert.transient)
        }
    }

    @inline(__always) func int(_ value: Int64?) {
        position += 1
        if let value { sqlite3_bind_int64(handle, position, value) } else { sqlite3_bind_null(handle, position) }
    }

    @inline(__always) func bool(_ value: Bool) { int(value ? 1 : 0) }

    /// Steps the statement; returns the new rowid.
    @discardableResult
    func run() throws -> Int64 {
        defer { sqlite3_reset(handle); position = 0 }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)), sql: statement.sql)
        }
        return sqlite3_last_insert_rowid(connection)
    }
}
