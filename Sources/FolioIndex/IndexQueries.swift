import Foundation
public import FolioGit
public import FolioModel
import GRDB

/// One invoice as `folio list` and `folio inbox` show it: the same fields whether it comes
/// from the index or from a document.
public struct InvoiceSummary: Sendable, Equatable {
    public var id: String
    public var number: String?
    public var type: String
    public var status: InvoiceStatus?
    public var paymentStatus: PaymentStatus?
    public var customer: Customer
    public var currency: String
    public var issueDate: String
    public var dueDate: String
    public var orderId: String?
    public var revision: Int
    public var totals: Totals?
    public var createdAt: String
    public var updatedAt: String
    /// Seed 001's state number (reminder stages and the outbox included).
    public var brpState: Int

    public init(_ inv: Invoice) {
        id = inv.id; number = inv.number; type = inv.type; status = inv.status; paymentStatus = inv.paymentStatus
        customer = inv.customer; currency = inv.currency; issueDate = inv.issueDate; dueDate = inv.dueDate; orderId = inv.orderId
        revision = inv.revision; totals = inv.totals; createdAt = inv.createdAt; updatedAt = inv.updatedAt
        brpState = BRPState.number(for: inv)
    }

    static let columns = """
        id, number, type, status, payment_status, customer_id, customer_name, customer_email, customer_external_id, currency,
        issue_date, due_date, order_id, revision, subtotal, discount, tax, total, paid, open, created_at, updated_at, brp_state
        """

    /// Reads the columns by position, in the order of `columns` (a lookup by name lowercases
    /// and compares every column name, for every value of every row).
    init(row: Row) {
        id = row[0]; number = row[1]; type = row[2]
        status = (row[3] as String?).flatMap(InvoiceStatus.init(rawValue:))
        paymentStatus = (row[4] as String?).flatMap(PaymentStatus.init(rawValue:))
        customer = Customer(id: row[5], name: row[6], email: row[7], externalId: row[8])
        currency = row[9]; issueDate = row[10]; dueDate = row[11]; orderId = row[12]
        revision = row[13]; createdAt = row[20]; updatedAt = row[21]; brpState = row[22]
        if let total = row[17] as Int64? {
            totals = Totals(subtotal: row[14], discount: row[15], tax: row[16], total: total, paid: row[18], open: row[19])
        } else {
            totals = nil
        }
    }
}

/// An order with the items still to invoice or cancel (`folio list orders --open-items`).
public struct OrderSummary: Sendable, Equatable {
    public var id: String
    public var number: String?
    public var customer: Customer
    public var channel: String?
    public var currency: String
    public var purchaseOrderNumber: String?
    public var createdAt: String
    public var itemCount: Int
    public var openItems: [OrderRecord.Item]

    public var isMarketplace: Bool { channel?.lowercased() == "marketplace" }
}

public struct InboxEntry: Sendable, Equatable {
    public var invoice: InvoiceSummary
    public var reason: String
}

public struct IndexStatus: Sendable {
    public var path: String
    public var schemaVersion: Int
    public var commit: String?
    public var head: String?
    /// Documents that differ between the recorded commit and HEAD (nil: cannot tell, e.g.
    /// the recorded commit is gone).
    public var pendingFiles: Int?
    public var updatedAt: String?
    public var sizeBytes: Int64
    public var invoices = 0, lines = 0, extraFields = 0, orders = 0, openOrders = 0, parties = 0
    public var skipped: [String] = []
    public var state: String
    public var upToDate: Bool { state == "ready" && commit == (head ?? "") }
}

extension RepositoryIndex {
    // MARK: folio list

    /// `InvoiceQuery.run` over the indexed invoices: the same page and total.
    public func invoices(_ q: InvoiceQuery) throws -> (page: [InvoiceSummary], totalCount: Int) {
        try read { db in
            let sql = InvoiceSQL.Query(q)
            let total = try Int.fetchOne(db, sql: sql.countSQL, arguments: sql.countArguments) ?? 0
            guard total > q.offset, q.limit > 0 else { return ([], total) }
            var page = sql.pageSQL(indexedBy: nil)
            if total > 1000, let index = IndexSchema.sortIndex(q.sortBy), !sql.conditions.isEmpty {
                // SQLite would collect every match and sort them. When matches are dense,
                // walking the sort index and stopping at the page's end reads far fewer rows.
                let indexed = try Int.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'invoices'") ?? total
                let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + page, arguments: sql.pageArguments).map { $0["detail"] as String }.joined(separator: "\n")
                if plan.contains("TEMP B-TREE FOR ORDER BY"), (q.offset + q.limit) * indexed / total <= 20_000 {
                    page = sql.pageSQL(indexedBy: index)
                }
            }
            // A cursor reads each value straight from the statement, without copying rows.
            return (try Array(Row.fetchCursor(db, sql: page, arguments: sql.pageArguments).map(InvoiceSummary.init(row:))), total)
        }
    }

    /// The statements `invoices(_:)` runs and SQLite's plans for them (`folio index explain`).
    public func explain(_ q: InvoiceQuery) throws -> String {
        try read { db in
            let sql = InvoiceSQL.Query(q)
            func plan(_ s: String, _ a: StatementArguments) throws -> String {
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + s, arguments: a).map { "  " + ($0["detail"] as String) }.joined(separator: "\n")
            }
            let page = sql.pageSQL(indexedBy: nil)
            return "count: \(sql.countSQL)\n\(try plan(sql.countSQL, sql.countArguments))\npage: \(page)\n\(try plan(page, sql.pageArguments))"
        }
    }

    // MARK: folio inbox

    /// `Inbox.items`, from the index.
    public func inbox(for actor: Actor) throws -> [InboxEntry] {
        try read { db in
            let extra = "status_ev, has_events, cr_note, conflict_count"
            if actor.isBuyer {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT \(InvoiceSummary.columns), \(extra) FROM invoices
                    WHERE customer_id = ? AND status_ev = 'pending_approval' ORDER BY due_date, id
                    """, arguments: [actor.party.customerId.map(nfc)])
                return rows.map { row in
                    let s = InvoiceSummary(row: row)
                    return InboxEntry(invoice: s, reason: "to answer: accept, decline or request changes (revision \(s.revision))")
                }
            }
            let rows = try Row.fetchAll(db, sql: """
                SELECT \(InvoiceSummary.columns), \(extra) FROM invoices
                WHERE status_ev IN ('changes_requested', 'draft') OR conflict_count > 0 ORDER BY due_date, id
                """)
            var out: [InboxEntry] = []
            for row in rows {
                let s = InvoiceSummary(row: row)
                switch row["status_ev"] as String {
                case InvoiceStatus.changesRequested.rawValue:
                    out.append(InboxEntry(invoice: s, reason: "needs edit: \((row["cr_note"] as String?) ?? "")"))
                case InvoiceStatus.draft.rawValue:
                    let hasEvents: Bool = row["has_events"]
                    out.append(InboxEntry(invoice: s, reason: hasEvents ? "edited after sending: send revision \(s.revision)" : "draft: send it"))
                default: break
                }
                if (row["conflict_count"] as Int) > 0 { out.append(InboxEntry(invoice: s, reason: "unresolved conflicts: folio conflicts")) }
            }
            return out
        }
    }

    // MARK: folio list orders

    /// Orders, oldest first; with `openItemsOnly`, those with items neither invoiced nor
    /// cancelled.
    public func orders(openItemsOnly: Bool, customerId: String?, offset: Int, limit: Int) throws -> (page: [OrderSummary], totalCount: Int) {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if openItemsOnly { conditions.append("open_count > 0") }
        if let customerId { conditions.append("customer_id = ?"); arguments.append(nfc(customerId)) }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM orders \(whereClause)", arguments: StatementArguments(arguments)) ?? 0
            let rows = try Row.fetchAll(db, sql: """
                SELECT rowid, id, number, customer_id, customer_name, customer_email, customer_external_id, channel, currency, po_number,
                       created_at, item_count FROM orders \(whereClause) ORDER BY created_at, id LIMIT ? OFFSET ?
                """, arguments: StatementArguments(arguments + [max(0, limit), offset]))
            let items = try db.makeStatement(sql: """
                SELECT ref, product_id, sku, description, quantity, unit_price, tax_rate FROM order_open_items WHERE order_row = ? ORDER BY position
                """)
            return (try rows.map { row in
                let open = try Row.fetchAll(items, arguments: [row["rowid"] as Int64]).map { r in
                    OrderRecord.Item(ref: r["ref"], productId: r["product_id"], sku: r["sku"], description: r["description"], quantity: r["quantity"],
                                     unitPrice: r["unit_price"], taxRate: r["tax_rate"], status: .open, invoiceId: nil)
                }
                return OrderSummary(id: row["id"], number: row["number"],
                                    customer: Customer(id: row["customer_id"], name: row["customer_name"], email: row["customer_email"], externalId: row["customer_external_id"]),
                                    channel: row["channel"], currency: row["currency"], purchaseOrderNumber: row["po_number"], createdAt: row["created_at"],
                                    itemCount: row["item_count"], openItems: open)
            }, total)
        }
    }

    // MARK: Parties and problems

    /// `Parties[email]` from the indexed `.folio/parties.json`.
    public func party(_ email: String) throws -> Party? {
        try read { db in
            for key in [email.lowercased(), email] {
                if let row = try Row.fetchOne(db, sql: "SELECT role, customer_id, name FROM parties WHERE email = ?", arguments: [nfc(key)]) {
                    return Party(name: row["name"], role: PartyRole(rawValue: row["role"]) ?? .buyer, customerId: row["customer_id"])
                }
            }
            return nil
        }
    }

    public enum Visibility: Equatable, Sendable {
        /// A seller, or an identity that is not a party: every invoice.
        case all
        /// A buyer: this customer's invoices only ("\u{0}" when the buyer names none).
        case customer(String)
        /// The index cannot tell (.folio/parties.json missing or malformed): ask the document.
        case unknown
    }

    /// Which invoices `email` may see, from the indexed `.folio/parties.json`.
    public func visibility(of email: String) throws -> Visibility {
        if let party = try party(email) { return party.role == .buyer ? .customer(party.customerId ?? "\u{0}") : .all }
        let known = try read { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'partiesBlob'").map { !$0.isEmpty } == true
                && (try Int.fetchOne(db, sql: "SELECT count(*) FROM problems WHERE kind = 'parties'") ?? 0) == 0
        }
        return known ? .all : .unknown
    }

    /// Why `.folio/parties.json` could not be read, if it could not.
    public func partiesProblem() throws -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT message FROM problems WHERE kind = 'parties'") }
    }

    /// Findings of the documents that are not indexed (one line each), by path.
    public func problems(kind: String? = nil) throws -> [String] {
        try read { db in
            let messages = kind == nil
                ? try String.fetchAll(db, sql: "SELECT message FROM problems ORDER BY path")
                : try String.fetchAll(db, sql: "SELECT message FROM problems WHERE kind = ? ORDER BY path", arguments: [kind])
            return messages.flatMap { $0.split(separator: "\n").map(String.init) }
        }
    }

    // MARK: folio index status

    /// Counts of what this open index holds.
    public func status() throws -> IndexStatus {
        var status = IndexStatus(path: path, schemaVersion: IndexSchema.version, commit: commit?.hex ?? "", head: commit?.hex, pendingFiles: 0,
                                 updatedAt: nil, sizeBytes: 0, state: "ready")
        status.sizeBytes = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
        try read { db in try RepositoryIndex.fill(&status, db) }
        return status
    }

    static func fill(_ status: inout IndexStatus, _ db: Database) throws {
        status.updatedAt = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'updatedAt'")
        func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
        status.invoices = try count("SELECT count(*) FROM invoices")
        status.lines = try count("SELECT count(*) FROM invoice_lines")
        status.extraFields = try count("SELECT count(*) FROM invoice_extra_fields")
        status.orders = try count("SELECT count(*) FROM orders")
        status.openOrders = try count("SELECT count(*) FROM orders WHERE open_count > 0")
        status.parties = try count("SELECT count(*) FROM parties")
        status.skipped = try String.fetchAll(db, sql: "SELECT message FROM problems ORDER BY path").flatMap { $0.split(separator: "\n").map(String.init) }
    }

    /// What the index holds and how far it is from HEAD, without changing it. Not to be
    /// called while this process holds the index open (the lock would wait for itself).
    public static func status(of git: GitRepository) throws -> IndexStatus {
        let path = location(of: git)
        let head = try git.headCommit()
        var status = IndexStatus(path: path, schemaVersion: IndexSchema.version, commit: nil, head: head?.hex, pendingFiles: nil, updatedAt: nil,
                                 sizeBytes: 0, state: "missing")
        let folder = (path as NSString).deletingLastPathComponent
        guard FileManager.default.fileExists(atPath: path) else { return status }
        status.sizeBytes = ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
        let lock = try IndexLock(path: folder + "/index.lock", log: { _ in })
        try lock.acquire(exclusive: false)
        switch inspect(path) {
        case .missing: return status
        case .otherVersion(let detail): status.state = "outdated: \(detail)"; return status
        case .unreadable(let detail): status.state = "unreadable: \(detail)"; return status
        case .ready(let queue, let commit, _):
            defer { try? queue.close() }
            status.state = "ready"
            status.commit = commit
            if let head {
                if commit == head.hex {
                    status.pendingFiles = 0
                } else if let old = GitOID(hex: commit) {
                    status.pendingFiles = (try? git.diff(from: old, to: head))?.filter { DocumentClass(path: $0.path) != nil }.count
                }
            }
            do {
                try queue.inDatabase { db in try fill(&status, db) }
            } catch let e as DatabaseError where isDamage(e) {
                status.state = "damaged: \(e.message ?? "\(e.resultCode)")"
            } catch {
                throw IndexError.from(error)
            }
            return status
        }
    }
}

/// InvoiceQuery → SQL. Each condition mirrors one line of `InvoiceQuery.matches`; the
/// differential test holds the two to the same answers.
enum InvoiceSQL {
    typealias Arguments = [(any DatabaseValueConvertible)?]

    struct Query {
        var conditions: [String] = []
        var arguments: Arguments = []
        var countSQL = ""
        var countArguments = StatementArguments()
        let query: InvoiceQuery

        init(_ q: InvoiceQuery) {
            query = q
            InvoiceSQL.conditions(q, &conditions, &arguments)
            if conditions.isEmpty {
                countSQL = "SELECT count(*) FROM invoices"
            } else if conditions.count == 1, let (sql, values) = InvoiceSQL.countFromTable(q) {
                // One filter that invoice_counts keeps totals for: a sum over a few rows.
                countSQL = sql
                countArguments = StatementArguments(values)
                return
            } else if conditions.count == 1, q.productIds.count >= 1 {
                // Only several products (one is countFromTable's): count in the products
                // table, without visiting invoices.
                let keys = Array(Set(q.productIds.map(nfc)))
                countSQL = "SELECT count(DISTINCT invoice) FROM invoice_lines WHERE product_key IN \(InvoiceSQL.list(keys.count))"
                countArguments = StatementArguments(keys)
                return
            } else {
                countSQL = "SELECT count(*) FROM invoices WHERE " + conditions.joined(separator: " AND ")
            }
            countArguments = StatementArguments(arguments)
        }

        var pageArguments: StatementArguments { StatementArguments(arguments + [max(0, query.limit), query.offset]) }

        func pageSQL(indexedBy index: String?) -> String {
            let direction = query.descending ? "DESC" : "ASC"
            var conditions = conditions
            if index != nil {
                // Walking the sort index, each row asks for its own products (a primary-key
                // probe) instead of SQLite first collecting every invoice of the product.
                conditions = conditions.map { $0.hasPrefix(InvoiceSQL.productCondition) ? "EXISTS (SELECT 1 FROM invoice_lines WHERE invoice = invoices.rowid AND product_key IN " + $0.dropFirst(InvoiceSQL.productCondition.count) : $0 }
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            return "SELECT \(InvoiceSummary.columns) FROM invoices \(index.map { "INDEXED BY \($0) " } ?? "")\(whereClause) "
                + "ORDER BY \(InvoiceSQL.sortColumn(query.sortBy)) \(direction), id \(direction) LIMIT ? OFFSET ?"
        }
    }

    /// The count of a query whose only condition is one that `invoice_counts` keeps totals
    /// for, as a sum over that table; nil for any other query.
    static func countFromTable(_ q: InvoiceQuery) -> (String, [String])? {
        let sum = "SELECT coalesce(sum(n), 0) FROM invoice_counts WHERE dim = "
        if !q.statuses.isEmpty { return (sum + "'status' AND value IN \(list(q.statuses.count))", q.statuses.map(\.rawValue)) }
        if !q.paymentStatuses.isEmpty { return (sum + "'payment' AND value IN \(list(q.paymentStatuses.count))", q.paymentStatuses.map(\.rawValue)) }
        if let today = q.overdueOn { return (sum + "'owed' AND value < ?", [nfc(today)]) }
        // One row per invoice and product: a single product's count is exact, several
        // products would count an invoice with two of them twice.
        if Set(q.productIds.map(nfc)).count == 1 { return (sum + "'product' AND value = ?", [nfc(q.productIds[0])]) }
        return nil
    }

    static func sortColumn(_ key: InvoiceQuery.SortKey) -> String {
        switch key {
        case .invoiceNumber: "number_sort"
        case .createdAt: "created_at"
        case .updatedAt: "updated_at"
        case .dueDate: "due_date"
        case .customerId: "customer_id"
        case .externalCustomerId: "ext_customer_sort"
        case .status: "status_sort"
        case .openBalance: "open_c"
        case .originalBalance: "total_c"
        case .isPendingPayment: "(open_c > 0)"
        }
    }

    static let searchColumns: [InvoiceQuery.SearchField: String] = [
        .invoiceNumber: "number", .type: "type", .orderNumber: "order_id", .purchaseOrderNumber: "po_number",
        .customerId: "customer_id", .externalCustomerId: "ext_customer_id",
    ]

    static let productCondition = "rowid IN (SELECT invoice FROM invoice_lines WHERE product_key IN "

    static func list(_ n: Int) -> String { "(" + Array(repeating: "?", count: n).joined(separator: ",") + ")" }

    static func conditions(_ q: InvoiceQuery, _ c: inout [String], _ a: inout Arguments) {
        if let v = q.visibleCustomer { c.append("customer_id = ?"); a.append(nfc(v)) }
        if !q.ids.isEmpty { c.append("id IN \(list(q.ids.count))"); a += q.ids.map(nfc) }
        if let number = q.number {
            // numberMatches: the full number (case-insensitive), or the sequence without prefix.
            if let seq = Int(number) {
                c.append("(number_key = ? OR number_seq = ?)"); a += [nfc(number.lowercased()), seq]
            } else {
                c.append("number_key = ?"); a.append(nfc(number.lowercased()))
            }
        }
        if let v = q.customerId { c.append("customer_id = ?"); a.append(nfc(v)) }
        if let name = q.customerName {
            let needle = name.lowercased()
            if needle.isEmpty || !isPrintableASCII(needle) {
                // A plain name (printable ASCII) lowercases to printable ASCII, which cannot
                // hold this needle; an empty needle is InvoiceQuery's to judge.
                if !needle.isEmpty { c.append("rowid IN (SELECT rowid FROM invoices WHERE name_lower IS NULL)") }
                c.append("folio_name_match(customer_name, ?)"); a.append(name)
            } else {
                if let match = trigramMatch(needle, columns: ["customer_name"]) {
                    c.append("rowid IN (SELECT rowid FROM invoice_search WHERE invoice_search MATCH ? UNION ALL SELECT rowid FROM invoices WHERE name_lower IS NULL)")
                    a.append(match)
                }
                c.append("(CASE WHEN name_lower IS NOT NULL THEN instr(name_lower, ?) > 0 ELSE folio_name_match(customer_name, ?) END)")
                a += [needle, name]
            }
        }
        if !q.statuses.isEmpty { c.append("status_f IN \(list(q.statuses.count))"); a += q.statuses.map(\.rawValue) }
        if !q.paymentStatuses.isEmpty { c.append("payment_f IN \(list(q.paymentStatuses.count))"); a += q.paymentStatuses.map(\.rawValue) }
        if !q.productIds.isEmpty {
            c.append(productCondition + "\(list(q.productIds.count)))"); a += q.productIds.map(nfc)
        }
        if let v = q.orderId { c.append("order_id = ?"); a.append(nfc(v)) }
        if !q.externalIds.isEmpty { c.append("external_key IN \(list(q.externalIds.count))"); a += q.externalIds.map(nfc) }
        if !q.channels.isEmpty { c.append("channel_key IN \(list(q.channels.count))"); a += q.channels.map { nfc($0.lowercased()) } }
        if let v = q.type { c.append("type_key = ?"); a.append(nfc(InvoiceQuery.normalize(v))) }
        if let v = q.issuedFrom { c.append("issue_date >= ?"); a.append(nfc(v)) }
        if let v = q.issuedTo { c.append("issue_date <= ?"); a.append(nfc(v)) }
        if let v = q.dueFrom { c.append("due_date >= ?"); a.append(nfc(v)) }
        if let v = q.dueTo { c.append("due_date <= ?"); a.append(nfc(v)) }
        if let v = q.createdFrom { c.append("created_date >= ?"); a.append(nfc(v)) }
        if let v = q.createdTo { c.append("created_date <= ?"); a.append(nfc(v)) }
        if let today = q.overdueOn { c.append("owed = 1 AND due_date < ?"); a.append(nfc(today)) }
        if !q.brpStates.isEmpty { c.append("brp_state IN (\(q.brpStates.map(String.init).joined(separator: ",")))") }
        if let text = q.q, !text.isEmpty { search(text, q.searchBy, &c, &a) }
    }

    /// An FTS5 query for rows whose `columns` hold every trigram of `needle` (ASCII, 3
    /// bytes or more): a superset of the rows that contain it.
    ///
    /// Any subset of the trigrams gives a superset of the matches (each candidate is confirmed
    /// afterwards), so the query names only the selective ones: in invoicing identifiers
    /// the letters and dashes are shared boilerplate ("po-", "inv-", "c000") and the digits
    /// tell rows apart. When the needle has trigrams of two or more digits, the last three
    /// of those (sequence numbers end identifiers) stand for the whole needle; "po-" alone
    /// would read a posting for every invoice.
    static func trigramMatch(_ needle: String, columns: [String]) -> String? {
        let bytes = Array(needle.utf8)
        guard bytes.count >= 3 else { return nil }
        var trigrams: [String] = []
        var numeric: [String] = []
        for k in 0...(bytes.count - 3) {
            let window = bytes[k..<(k + 3)]
            let t = String(decoding: window, as: UTF8.self)
            if !trigrams.contains(t) {
                trigrams.append(t)
                if window.filter({ $0 >= 0x30 && $0 <= 0x39 }).count >= 2 { numeric.append(t) }
            }
        }
        if !numeric.isEmpty { trigrams = Array(numeric.suffix(3)) }
        let phrase = trigrams.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " AND ")
        return "{\(columns.joined(separator: " "))} : (\(phrase))"
    }

    /// q: a case-insensitive substring of any searched field. Rows whose searched fields
    /// are all printable ASCII are decided in SQL (on `search_text`, their lowercased values
    /// one per line); the others by InvoiceQuery itself. FTS5 trigrams narrow the candidates
    /// first when the needle is long enough to have trigrams.
    static func search(_ text: String, _ by: InvoiceQuery.SearchField?, _ c: inout [String], _ a: inout Arguments) {
        let needle = text.lowercased()
        let fields = by.map { [$0] } ?? InvoiceQuery.SearchField.allCases
        let columns = fields.map { searchColumns[$0]! }
        let reference = "folio_search_match(number, type, order_id, po_number, customer_id, ext_customer_id, ?, ?)"
        guard isPrintableASCII(needle) else {
            c.append("rowid IN (SELECT rowid FROM invoices WHERE search_text IS NULL)")
            c.append(reference); a += [text, by?.rawValue]
            return
        }
        if let match = trigramMatch(needle, columns: columns) {
            c.append("rowid IN (SELECT rowid FROM invoice_search WHERE invoice_search MATCH ? UNION ALL SELECT rowid FROM invoices WHERE search_text IS NULL)")
            a.append(match)
        }
        let plain = by == nil ? "instr(search_text, ?) > 0" : "instr(lower(\(columns[0])), ?) > 0"
        c.append("(CASE WHEN search_text IS NOT NULL THEN \(plain) ELSE \(reference) END)")
        a += [needle, text, by?.rawValue]
    }
}

/// SQL functions that ask `InvoiceQuery.matches` itself, for the rows whose text SQL cannot
/// compare the way Swift does (non-ASCII, "\r\n").
enum MatchFunctions {
    /// An invoice that every empty filter accepts; each call sets the fields it tests.
    static let template: Invoice = {
        let json = #"""
            {"id":"x","type":"invoice","customer":{"id":"x"},"currency":"EUR","issueDate":"2000-01-01","dueDate":"2000-01-01",
             "lines":[],"payments":[],"revision":0,"events":[],"createdBy":"x@x.x","createdAt":"2000-01-01T00:00:00Z",
             "updatedBy":"x@x.x","updatedAt":"2000-01-01T00:00:00Z"}
            """#
        return try! JSONDecoder().decode(Invoice.self, from: Data(json.utf8))
    }()

    static let nameMatch = DatabaseFunction("folio_name_match", argumentCount: 2, pure: true) { values in
        var inv = template
        inv.customer.name = String.fromDatabaseValue(values[0])
        var q = InvoiceQuery()
        q.customerName = String.fromDatabaseValue(values[1]) ?? ""
        return q.matches(inv)
    }

    static let searchMatch = DatabaseFunction("folio_search_match", argumentCount: 8, pure: true) { values in
        var inv = template
        inv.number = String.fromDatabaseValue(values[0])
        inv.type = String.fromDatabaseValue(values[1]) ?? ""
        inv.orderId = String.fromDatabaseValue(values[2])
        inv.purchaseOrderNumber = String.fromDatabaseValue(values[3])
        inv.customer.id = String.fromDatabaseValue(values[4]) ?? ""
        inv.externalCustomerId = String.fromDatabaseValue(values[5])
        var q = InvoiceQuery()
        q.q = String.fromDatabaseValue(values[6])
        q.searchBy = String.fromDatabaseValue(values[7]).flatMap(InvoiceQuery.SearchField.init(rawValue:))
        return q.matches(inv)
    }

    static func register(_ db: Database) {
        db.add(function: nameMatch)
        db.add(function: searchMatch)
    }
}

extension RepositoryIndex {
    /// Everything the index holds, as text lines ordered by path and independent of rowids:
    /// an index brought up to date step by step and one rebuilt from scratch must dump the
    /// same. Also runs SQLite's and FTS5's integrity checks (tests).
    func dump() throws -> [String] {
        try read { db in
            var out: [String] = []
            func add(_ label: String, _ sql: String) throws {
                for row in try Row.fetchAll(db, sql: sql) { out.append(label + " " + row.description) }
            }
            let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(invoices)").map { $0["name"] as String }.filter { $0 != "rowid" }
            try add("invoice", "SELECT \(columns.joined(separator: ", ")) FROM invoices ORDER BY path")
            try add("line", "SELECT i.path, l.product_key FROM invoice_lines l JOIN invoices i ON i.rowid = l.invoice ORDER BY 1, 2")
            try add("extra", "SELECT i.path, e.position, e.name, e.value FROM invoice_extra_fields e JOIN invoices i ON i.rowid = e.invoice ORDER BY 1, 2")
            try add("search", """
                SELECT i.path, s.number, s.type, s.order_id, s.po_number, s.customer_id, s.ext_customer_id, s.customer_name
                FROM invoice_search s JOIN invoices i ON i.rowid = s.rowid ORDER BY 1
                """)
            try add("counts", "SELECT (SELECT count(*) FROM invoice_search) AS search, (SELECT count(*) FROM invoices) AS invoices")
            try add("count", "SELECT dim, value, n FROM invoice_counts ORDER BY dim, value")
            let orderColumns = try Row.fetchAll(db, sql: "PRAGMA table_info(orders)").map { $0["name"] as String }.filter { $0 != "rowid" }
            try add("order", "SELECT \(orderColumns.joined(separator: ", ")) FROM orders ORDER BY path")
            try add("item", """
                SELECT o.path, t.position, t.ref, t.product_id, t.sku, t.description, t.quantity, t.unit_price, t.tax_rate
                FROM order_open_items t JOIN orders o ON o.rowid = t.order_row ORDER BY 1, 2
                """)
            try add("party", "SELECT * FROM parties ORDER BY email")
            try add("problem", "SELECT * FROM problems ORDER BY path")
            try add("meta", "SELECT key, value FROM meta WHERE key IN ('schema', 'commit', 'invoices') ORDER BY key")
            try db.execute(sql: "INSERT INTO invoice_search(invoice_search) VALUES ('integrity-check')")
            out.append("integrity " + ((try String.fetchOne(db, sql: "PRAGMA integrity_check")) ?? "?"))
            return out
        }
    }
}

extension RepositoryIndex {
    /// Paths of the documents that were not indexed (tests).
    func problemPaths() throws -> [String] {
        try read { db in try String.fetchAll(db, sql: "SELECT path FROM problems ORDER BY path") }
    }
}
