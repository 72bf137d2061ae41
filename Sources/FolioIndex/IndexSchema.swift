import Foundation
import FolioModel
import GRDB

/// The tables of `.git/folio/index.sqlite`. A cache: any change here (or in what the
/// columns mean) bumps `version`, and an index of another version is rebuilt, not migrated.
enum IndexSchema {
    static let version = 6

    /// Tables, created empty before documents go in.
    static let tables = """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;

        -- One row per invoice document. Columns ending in _key hold what a filter compares
        -- (NFC, lowercased or normalised the way InvoiceQuery compares); _sort and _c what a
        -- sort compares (InvoiceQuery's "?? \"\"" and "?? 0" already applied); _f the status
        -- a filter sees (stored, else derived from the events); status_ev the status the
        -- inbox sees (always from the events). name_lower and search_text (the six searchable
        -- values lowercased, one per line) are set only for printable ASCII, where SQL's byte
        -- comparisons agree with Swift's character comparisons; other rows go to InvoiceQuery.
        CREATE TABLE invoices(
            rowid INTEGER PRIMARY KEY,
            path TEXT NOT NULL,
            id TEXT NOT NULL,
            number TEXT, number_key TEXT, number_seq INTEGER, number_sort TEXT NOT NULL,
            type TEXT NOT NULL, type_key TEXT NOT NULL,
            order_id TEXT, credit_note_for TEXT,
            customer_id TEXT NOT NULL, customer_name TEXT, customer_email TEXT, customer_external_id TEXT, name_lower TEXT,
            channel TEXT, channel_key TEXT, po_number TEXT,
            currency TEXT NOT NULL, issue_date TEXT NOT NULL, due_date TEXT NOT NULL,
            status TEXT, status_f TEXT NOT NULL, status_sort TEXT NOT NULL, status_ev TEXT NOT NULL,
            payment_status TEXT, payment_f TEXT NOT NULL, revision INTEGER NOT NULL,
            subtotal INTEGER, discount INTEGER, tax INTEGER, total INTEGER, paid INTEGER, open INTEGER,
            open_c INTEGER NOT NULL, total_c INTEGER NOT NULL,
            external_id TEXT, external_key TEXT, ext_customer_id TEXT, ext_customer_sort TEXT NOT NULL,
            created_at TEXT NOT NULL, created_date TEXT NOT NULL, updated_at TEXT NOT NULL,
            search_text TEXT, has_events INTEGER NOT NULL, cr_note TEXT, conflict_count INTEGER NOT NULL,
            owed INTEGER NOT NULL,  -- an invoice (not a credit note) whose status_f is sent/accepted/issued and open_c > 0: overdue once due_date has passed
            brp_state INTEGER NOT NULL,  -- seed 001's state number (FolioModel.BRPState), for list --state and each row's brpStatus
            voided_numbers TEXT,  -- the numbers held before a reissue, as a JSON array (series rules of validate --since)
            series_key TEXT  -- the number's series prefix, NFC, when it parses as a series number
        );

        -- The products of an invoice's lines (the productId filter): one row per product and
        -- invoice, however many lines name it.
        CREATE TABLE invoice_lines(
            invoice INTEGER NOT NULL, product_key TEXT NOT NULL,
            PRIMARY KEY(invoice, product_key)
        ) WITHOUT ROWID;

        -- name_key, value_key: NFC, as Swift compares text (unique values, validate --since).
        CREATE TABLE invoice_extra_fields(
            invoice INTEGER NOT NULL, position INTEGER NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
            name_key TEXT NOT NULL, value_key TEXT NOT NULL,
            PRIMARY KEY(invoice, position)
        ) WITHOUT ROWID;

        -- q / searchBy and customerName: trigram substring search, rowid = invoices.rowid.
        -- detail=column: which column holds a trigram, without positions; candidates are
        -- confirmed against invoices (instr, or InvoiceQuery itself for non-plain text).
        CREATE VIRTUAL TABLE invoice_search USING fts5(
            number, type, order_id, po_number, customer_id, ext_customer_id, customer_name,
            tokenize = 'trigram', detail = 'column'
        );

        CREATE TABLE orders(
            rowid INTEGER PRIMARY KEY,
            path TEXT NOT NULL,
            id TEXT NOT NULL, number TEXT,
            customer_id TEXT NOT NULL, customer_name TEXT, customer_email TEXT, customer_external_id TEXT,
            channel TEXT, currency TEXT NOT NULL, po_number TEXT, created_at TEXT NOT NULL,
            item_count INTEGER NOT NULL, open_count INTEGER NOT NULL
        );

        -- Items neither invoiced nor cancelled (orders without any are not kept).
        CREATE TABLE order_open_items(
            order_row INTEGER NOT NULL, position INTEGER NOT NULL,
            ref TEXT NOT NULL, product_id TEXT, sku TEXT, description TEXT NOT NULL,
            quantity TEXT NOT NULL, unit_price INTEGER NOT NULL, tax_rate TEXT NOT NULL,
            PRIMARY KEY(order_row, position)
        ) WITHOUT ROWID;

        -- .folio/parties.json, so that a buyer's view needs no JSON parsing.
        CREATE TABLE parties(email TEXT PRIMARY KEY, role TEXT NOT NULL, customer_id TEXT, name TEXT) WITHOUT ROWID;

        -- Documents that were not indexed, with why (one line per finding).
        CREATE TABLE problems(path TEXT PRIMARY KEY, kind TEXT NOT NULL, message TEXT NOT NULL) WITHOUT ROWID;
        """

    /// Indexes for the queries and the counts table with its triggers, created after a full
    /// load (faster than maintaining them row by row).
    static let indexes = """
        CREATE UNIQUE INDEX invoices_path ON invoices(path);
        CREATE INDEX invoices_created ON invoices(created_at, id);
        CREATE INDEX invoices_due ON invoices(due_date, id);
        CREATE INDEX invoices_number_sort ON invoices(number_sort, id);
        CREATE INDEX invoices_status_due ON invoices(status_f, due_date, id);
        CREATE INDEX invoices_customer ON invoices(customer_id, created_at, id);
        CREATE INDEX invoices_id ON invoices(id);
        CREATE INDEX invoices_number ON invoices(number_key) WHERE number_key IS NOT NULL;
        CREATE INDEX invoices_number_seq ON invoices(number_seq) WHERE number_seq IS NOT NULL;
        CREATE INDEX invoices_order ON invoices(order_id) WHERE order_id IS NOT NULL;
        CREATE INDEX invoices_credit ON invoices(credit_note_for) WHERE credit_note_for IS NOT NULL;
        CREATE INDEX invoices_voided ON invoices(rowid) WHERE voided_numbers IS NOT NULL;
        CREATE INDEX invoice_extra_values ON invoice_extra_fields(name_key, value_key);
        CREATE INDEX invoices_series ON invoices(series_key) WHERE series_key IS NOT NULL;
        CREATE INDEX invoices_external ON invoices(external_key) WHERE external_key IS NOT NULL;
        CREATE INDEX invoices_owed ON invoices(owed, due_date, id) WHERE owed = 1;
        CREATE INDEX invoices_inbox ON invoices(due_date, id) WHERE status_ev IN ('changes_requested', 'draft') OR conflict_count > 0;
        CREATE INDEX invoices_search_other ON invoices(rowid) WHERE search_text IS NULL;
        CREATE INDEX invoices_name_other ON invoices(rowid) WHERE name_lower IS NULL;
        CREATE INDEX invoice_lines_product ON invoice_lines(product_key, invoice);
        CREATE UNIQUE INDEX orders_path ON orders(path);
        CREATE INDEX orders_created ON orders(created_at, id);
        CREATE INDEX orders_customer ON orders(customer_id, created_at, id);

        -- How many invoices hold each value of the columns that common listings filter on
        -- alone (all accepted, all unpaid, all overdue, one product), so that the total of
        -- such a page is a sum over a few rows instead of a count over tens of thousands.
        -- 'owed' counts the owed invoices per due date (overdue = owed, due before today).
        -- Filled here in one pass, then kept by the triggers below in the same transaction as
        -- the rows they count; a value no invoice holds any more has no row.
        CREATE TABLE invoice_counts(dim TEXT NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(dim, value)) WITHOUT ROWID;
        INSERT INTO invoice_counts SELECT 'status', status_f, count(*) FROM invoices GROUP BY status_f;
        INSERT INTO invoice_counts SELECT 'payment', payment_f, count(*) FROM invoices GROUP BY payment_f;
        INSERT INTO invoice_counts SELECT 'owed', due_date, count(*) FROM invoices WHERE owed = 1 GROUP BY due_date;
        INSERT INTO invoice_counts SELECT 'product', product_key, count(*) FROM invoice_lines GROUP BY product_key;
        CREATE TRIGGER invoices_count_in AFTER INSERT ON invoices BEGIN
            INSERT INTO invoice_counts VALUES ('status', NEW.status_f, 1) ON CONFLICT DO UPDATE SET n = n + 1;
            INSERT INTO invoice_counts VALUES ('payment', NEW.payment_f, 1) ON CONFLICT DO UPDATE SET n = n + 1;
            INSERT INTO invoice_counts SELECT 'owed', NEW.due_date, 1 WHERE NEW.owed = 1 ON CONFLICT DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER invoices_count_out AFTER DELETE ON invoices BEGIN
            UPDATE invoice_counts SET n = n - 1 WHERE dim = 'status' AND value = OLD.status_f;
            UPDATE invoice_counts SET n = n - 1 WHERE dim = 'payment' AND value = OLD.payment_f;
            UPDATE invoice_counts SET n = n - 1 WHERE dim = 'owed' AND value = OLD.due_date AND OLD.owed = 1;
            DELETE FROM invoice_counts WHERE dim = 'status' AND value = OLD.status_f AND n <= 0;
            DELETE FROM invoice_counts WHERE dim = 'payment' AND value = OLD.payment_f AND n <= 0;
            DELETE FROM invoice_counts WHERE dim = 'owed' AND value = OLD.due_date AND n <= 0;
        END;
        CREATE TRIGGER invoices_count_change AFTER UPDATE OF status_f, payment_f, owed, due_date ON invoices BEGIN
            UPDATE invoice_counts SET n = n - 1 WHERE dim = 'status' AND value = OLD.status_f;
            UPDATE invoice_counts SET n = n - 1 WHERE dim = 'payment' AND value = OLD.payment_f;
            UPDATE invoice_counts SET n = n - 1 WHERE dim = 'owed' AND value = OLD.due_date AND OLD.owed = 1;
            INSERT INTO invoice_counts VALUES ('status', NEW.status_f, 1) ON CONFLICT DO UPDATE SET n = n + 1;
            INSERT INTO invoice_counts VALUES ('payment', NEW.payment_f, 1) ON CONFLICT DO UPDATE SET n = n + 1;
            INSERT INTO invoice_counts SELECT 'owed', NEW.due_date, 1 WHERE NEW.owed = 1 ON CONFLICT DO UPDATE SET n = n + 1;
            DELETE FROM invoice_counts WHERE dim = 'status' AND value = OLD.status_f AND n <= 0;
            DELETE FROM invoice_counts WHERE dim = 'payment' AND value = OLD.payment_f AND n <= 0;
            DELETE FROM invoice_counts WHERE dim = 'owed' AND value = OLD.due_date AND n <= 0;
        END;
        CREATE TRIGGER invoice_lines_count_in AFTER INSERT ON invoice_lines BEGIN
            INSERT INTO invoice_counts VALUES ('product', NEW.product_key, 1) ON CONFLICT DO UPDATE SET n = n + 1;
        END;
        CREATE TRIGGER invoice_lines_count_out AFTER DELETE ON invoice_lines BEGIN
            UPDATE invoice_counts SET n = n - 1 WHERE dim = 'product' AND value = OLD.product_key;
            DELETE FROM invoice_counts WHERE dim = 'product' AND value = OLD.product_key AND n <= 0;
        END;
        """

    /// The index that yields invoices in the order of a sort key (then id), if there is one.
    static func sortIndex(_ key: InvoiceQuery.SortKey) -> String? {
        switch key {
        case .createdAt: "invoices_created"
        case .dueDate: "invoices_due"
        case .invoiceNumber: "invoices_number_sort"
        default: nil
        }
    }

    static let statuses = ["pending_approval", "changes_requested", "accepted", "issued"]
}

// MARK: - Comparison keys

/// Swift compares strings by canonical equivalence (equal NFC forms) and orders them by
/// their NFC scalars; SQLite compares bytes. Storing and binding the NFC form makes the two
/// agree. ASCII is its own NFC form.
@inline(__always) func nfc(_ s: String) -> String {
    isASCII(s) ? s : s.precomposedStringWithCanonicalMapping
}

@inline(__always) func isASCII(_ s: String) -> Bool {
    s.utf8.allSatisfy { $0 < 0x80 }
}

/// Text whose characters are its bytes, with no line break: printable ASCII ("\r\n" would
/// be one Character, and "\n" separates the values of `search_text`).
@inline(__always) func isPrintableASCII(_ s: String) -> Bool {
    s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
}

extension InvoiceRecord {
    /// The six searchable values in `InvoiceQuery.SearchField` order.
    var searchValues: [String?] { [number, type, orderId, purchaseOrderNumber, customer.id, externalCustomerId] }

    /// `search_text`: the searchable values lowercased, one per line, when all are printable
    /// ASCII (an absent value is an empty line, which no non-empty needle matches).
    var searchText: String? {
        let values = searchValues.map { $0 ?? "" }
        guard values.allSatisfy(isPrintableASCII) else { return nil }
        return values.map { $0.lowercased() }.joined(separator: "\n")
    }

    /// `name_lower`: the customer name lowercased ("" when absent), when printable ASCII.
    var nameLower: String? {
        let name = customer.name ?? ""
        return isPrintableASCII(name) ? name.lowercased() : nil
    }
}
