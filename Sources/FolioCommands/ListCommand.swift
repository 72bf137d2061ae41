import ArgumentParser
import Foundation
import FolioApp
import FolioGit
import FolioIndex
import FolioModel
import FolioRepo

struct ListCommand: FolioCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List invoices with filters, sorting and paging (seeds 001 and 004), from the index.",
        discussion: """
            Values may be given in seed 004's camelCase or in kebab-case, case-insensitively: --sort-by dueDate or due-date, --order-by asc or DESC.
            `folio list orders --open-items` lists the orders that still have items neither invoiced nor cancelled (with --customer-id, --offset, --limit).
            Answers come from .git/folio/index.sqlite, brought up to HEAD first.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "invoices (the default) or orders.") var subject: String = "invoices"
    @Flag(help: "With `orders`: orders with items neither invoiced nor cancelled.") var openItems = false
    @Flag(help: "Scan the documents of HEAD instead of asking the index (slow: the reference the index is tested against).") var noIndex = false
    @Option(name: .customLong("id"), help: "Invoice id (repeatable).") var ids: [String] = []
    @Option(help: "Invoice number, with or without its prefix.") var number: String?
    @Option(help: "Customer id.") var customerId: String?
    @Option(help: "Customer name (substring).") var customerName: String?
    @Option(help: "Approval status (repeatable).") var status: [Choice<InvoiceStatus>] = []
    @Option(help: "Payment status, or seed 004's 0, 1, 2 (repeatable).") var paymentStatus: [PaymentStatusChoice] = []
    @Option(help: "Invoices with a line of this product (repeatable or comma-separated).") var productId: [String] = []
    @Option(help: "Order id.") var orderId: String?
    @Option(help: "External invoice id (repeatable or comma-separated).") var externalId: [String] = []
    @Option(help: "Order channel (repeatable).") var channel: [String] = []
    @Option(help: "Invoice type (invoice, credit_note…).") var type: String?
    @Option(help: ArgumentHelp("Issue date from.", valueName: "yyyy-mm-dd")) var issuedFrom: CalendarDay?
    @Option(help: ArgumentHelp("Issue date to.", valueName: "yyyy-mm-dd")) var issuedTo: CalendarDay?
    @Option(help: ArgumentHelp("Due date from.", valueName: "yyyy-mm-dd")) var dueFrom: CalendarDay?
    @Option(help: ArgumentHelp("Due date to.", valueName: "yyyy-mm-dd")) var dueTo: CalendarDay?
    @Option(help: ArgumentHelp("Created from (seed 004 beginDateAt).", valueName: "yyyy-mm-dd")) var createdFrom: CalendarDay?
    @Option(help: ArgumentHelp("Created to (seed 004 endDateAt).", valueName: "yyyy-mm-dd")) var createdTo: CalendarDay?
    @Flag(help: "Only invoices past due with money open.") var overdue = false
    @Option(help: "Seed 001's state: 1 not sent, 2 pending, 3 completed, 4 reminder, 5 reminder bureau, 6 bill collection, 7 sent, 9 waiting to be sent (repeatable or comma-separated).") var state: [String] = []
    @Option(help: "Search text.") var q: String?
    @Option(help: "The field --q searches.") var searchBy: Choice<InvoiceQuery.SearchField>?
    @Option(help: "The field rows are sorted by.") var sortBy = Choice(InvoiceQuery.SortKey.createdAt)
    @Option(help: "The direction of the sort.") var orderBy = Choice(InvoiceQuery.SortOrder.ascending)
    @Option(help: "Rows to skip.") var offset: Int = 0
    @Option(help: "Rows to return (at most 1000).") var limit: Int = 50

    func query(today: String) throws -> InvoiceQuery {
        var query = InvoiceQuery()
        func usage(_ m: String) -> FolioError { FolioError.usage(m) }
        query.ids = ids
        query.number = number
        query.customerId = customerId
        query.customerName = customerName
        query.statuses = status.map(\.value)
        query.paymentStatuses = paymentStatus.map(\.value)
        query.productIds = productId.flatMap { $0.split(separator: ",").map(String.init) }
        query.orderId = orderId
        query.externalIds = externalId.flatMap { $0.split(separator: ",").map(String.init) }
        query.channels = channel
        query.type = type
        (query.issuedFrom, query.issuedTo, query.dueFrom, query.dueTo) = (issuedFrom?.text, issuedTo?.text, dueFrom?.text, dueTo?.text)
        (query.createdFrom, query.createdTo) = (createdFrom?.text, createdTo?.text)
        if overdue { query.overdueOn = today }
        for text in state.flatMap({ $0.split(separator: ",").map(String.init) }) {
            guard let n = Int(text), BRPState.names[n] != nil else { throw usage("--state \"\(text)\" is not a state number 1-9 (seed 001)") }
            query.brpStates.append(n)
        }
        query.q = q
        query.searchBy = searchBy?.value
        query.sortBy = sortBy.value
        query.descending = orderBy.value == .descending
        guard offset >= 0 else { throw usage("--offset must not be negative") }
        guard (0...1000).contains(limit) else { throw usage("--limit must be between 0 and 1000") }
        query.offset = offset
        query.limit = limit
        return query
    }

    func run(_ console: Console) throws {
        let environment = ProcessEnvironment.current()
        // "Today" only matters to --overdue; computed without a date formatter (UTC, as Clock.today).
        let today = overdue ? Dates.formatDate(days: Int((Clock(environment: environment).now.timeIntervalSince1970 / 86_400).rounded(.down))) : ""
        let query = try query(today: today)
        switch subject.lowercased() {
        case "invoices", "invoice": break
        case "orders", "order":
            var rest = query
            (rest.customerId, rest.offset, rest.limit) = (nil, 0, 50)
            guard rest == InvoiceQuery() else { throw FolioError.usage("`folio list orders` takes --customer-id, --offset and --limit; the other filters are for invoices") }
            guard openItems else { throw FolioError.usage("`folio list orders` needs --open-items (orders with items neither invoiced nor cancelled); `folio order show ID` shows one order") }
            return try listOrders(query, console)
        default:
            throw FolioError.usage("`folio list \(subject)`: say `invoices` (the default) or `orders --open-items`")
        }
        if openItems { throw FolioError.usage("--open-items is for `folio list orders`") }
        if !noIndex, environment["FOLIO_INDEX_NO_SHORTCUT"] == nil, listFromCurrentIndex(query, environment: environment, console) { return }
        let repo = try global.openRepository(console)
        if noIndex { return try scan(repo, query, console) }
        let (problems, page, total) = try IndexAccess(repo, console).reading { index in
            var query = query
            if let customer = try IndexAccess(repo, console).visibleCustomer(index, global) { query.visibleCustomer = customer }
            let (page, total) = try index.invoices(query)
            return (try index.problems(kind: "invoice"), page, total)
        }
        for p in problems { console.info("warning: skipped \(p)") }
        printInvoices(page, total: total, query, console)
    }

    /// The shortcut for the common case: when the index already reflects HEAD, answer without
    /// starting libgit2 (see `PlainGit`). False, having printed nothing, whenever anything is
    /// out of the ordinary; the ordinary path then answers (and explains any error).
    func listFromCurrentIndex(_ query: InvoiceQuery, environment: [String: String], _ console: Console) -> Bool {
        guard let gitDir = PlainGit.gitDir(from: global.path, environment: environment), let head = PlainGit.head(gitDir: gitDir),
              let index = RepositoryIndex.openIfCurrent(gitDir: gitDir, head: head) else { return false }
        var query = query
        var email: String?
        if let explicit = global.actingAs, !explicit.isEmpty {
            email = explicit.lowercased()
        } else if let user = environment["FOLIO_USER"], !user.isEmpty {
            email = user.lowercased()
        } else {
            guard case .value(let configured) = PlainGit.userEmail(gitDir: gitDir, environment: environment) else { return false }
            email = configured.flatMap { $0.isEmpty ? nil : $0.lowercased() }
        }
        do {
            if let email {
                switch try index.visibility(of: email) {
                case .all: break
                case .customer(let id): query.visibleCustomer = id
                case .unknown: return false
                }
            }
            let problems = try index.problems(kind: "invoice")
            let (page, total) = try index.invoices(query)
            for p in problems { console.info("warning: skipped \(p)") }
            if environment["FOLIO_INDEX_TIMING"] == "1" { console.info("index: up to date (HEAD read without libgit2)") }
            printInvoices(page, total: total, query, console)
            index.keepOpenUntilExit()
            return true
        } catch {
            return false
        }
    }

    /// The answer without the index, as `folio list` gave it before there was one: every
    /// invoice document of HEAD decoded and filtered by `InvoiceQuery`. (The index also skips
    /// a document that sits at another id's path; this scan lists it.)
    func scan(_ repo: FolioRepository, _ query: InvoiceQuery, _ console: Console) throws {
        var query = query
        let snap = try repo.snapshot()
        do {
            if let customer = try repo.visibility(explicit: global.actingAs, snapshot: snap).customerID { query.visibleCustomer = customer }
        } catch FolioError.identity {
            // An identity that is not a party: the index path shows it everything too.
        }
        let (invoices, problems) = try snap.invoices()
        for p in problems { console.info("warning: skipped \(p.description)") }
        let (page, total) = query.run(invoices)
        printInvoices(page.map(InvoiceSummary.init), total: total, query, console)
    }

    func printInvoices(_ page: [InvoiceSummary], total: Int, _ query: InvoiceQuery, _ console: Console) {
        if global.wantsJSON {
            console.data(ListCommand.pageJSON(page, total: total, query))
            return
        }
        console.data(Table.render(header: ["NUMBER", "ID", "CUSTOMER", "STATUS", "PAYMENT", "DUE", "TOTAL", "OPEN"], rows: page.map { inv in
            [inv.number ?? "-", inv.id, inv.customer.name ?? inv.customer.id, inv.status?.rawValue ?? "?", inv.paymentStatus?.rawValue ?? "?", inv.dueDate,
             Display.money(inv.totals?.total, inv.currency), Display.money(inv.totals?.open, inv.currency)]
        }))
        console.info("\(page.count) of \(total) invoice(s)\(total > query.offset + page.count ? "; more with --offset \(query.offset + page.count)" : "")")
    }

    /// `folio list orders --open-items`: orders with items neither invoiced nor cancelled,
    /// oldest first, each with those items.
    func listOrders(_ query: InvoiceQuery, _ console: Console) throws {
        let repo = try global.openRepository(console)
        let (problems, page, total) = try IndexAccess(repo, console).reading { index -> ([String], [OrderSummary], Int) in
            var customer = query.customerId
            if let visible = try IndexAccess(repo, console).visibleCustomer(index, global) {
                // A buyer asking for another customer's orders sees none.
                if let customer, customer != visible { return ([], [], 0) }
                customer = visible
            }
            let (page, total) = try index.orders(openItemsOnly: true, customerId: customer, offset: query.offset, limit: query.limit)
            return (try index.problems(kind: "order"), page, total)
        }
        for p in problems { console.info("warning: skipped \(p)") }
        printOrders(page, total: total, query, console)
    }

    func printOrders(_ page: [OrderSummary], total: Int, _ query: InvoiceQuery, _ console: Console) {
        if global.wantsJSON {
            let rows: [JSONValue] = page.map { o in
                let items: [JSONValue] = o.openItems.map { i in
                    .object(["ref": .string(i.ref), "productId": i.productId.map(JSONValue.string) ?? .null, "sku": i.sku.map(JSONValue.string) ?? .null,
                             "description": .string(i.description), "quantity": .string(i.quantity), "unitPrice": .int(i.unitPrice), "taxRate": .string(i.taxRate)])
                }
                return .object([
                    "id": .string(o.id), "number": o.number.map(JSONValue.string) ?? .null, "customer": o.customer.jsonValue,
                    "channel": o.channel.map(JSONValue.string) ?? .null, "currency": .string(o.currency), "createdAt": .string(o.createdAt),
                    "purchaseOrderNumber": o.purchaseOrderNumber.map(JSONValue.string) ?? .null,
                    "itemCount": .int(Int64(o.itemCount)), "openItemCount": .int(Int64(o.openItems.count)),
                    "invoiceable": .bool(!o.isMarketplace), "openItems": .array(items),
                ])
            }
            console.data(CanonicalJSON.string(.object([
                "data": .array(rows),
                "meta": .object(["pagination": .object(["limit": .int(Int64(query.limit)), "offset": .int(Int64(query.offset)), "totalCount": .int(Int64(total))])]),
            ])))
            return
        }
        console.data(Table.render(header: ["ORDER", "CUSTOMER", "CHANNEL", "CREATED", "OPEN", "OPEN ITEMS"], rows: page.map { o in
            [o.id, o.customer.name ?? o.customer.id, (o.channel ?? "-") + (o.isMarketplace ? " (cannot be invoiced)" : ""), String(o.createdAt.prefix(10)),
             "\(o.openItems.count) of \(o.itemCount)", o.openItems.map { "\($0.ref) \($0.description) x\($0.quantity)" }.joined(separator: "; ")]
        }))
        console.info("\(page.count) of \(total) order(s) with open items\(total > query.offset + page.count ? "; more with --offset \(query.offset + page.count)" : "")")
    }

    /// One `list --json` row: the fields SPEC §5 promises, plus seed 004's names for the balances.
    static func row(_ inv: Invoice, extra: [String: JSONValue] = [:]) -> JSONValue {
        row(InvoiceSummary(inv), extra: extra)
    }

    /// `{"data": [row…], "meta": {"pagination": …}}` as CanonicalJSON writes it, streamed:
    /// the same bytes as `CanonicalJSON.string` over `row(_:)` (a test holds the two
    /// together), without building a dictionary per row and sorting its keys.
    static func pageJSON(_ page: [InvoiceSummary], total: Int, _ query: InvoiceQuery) -> String {
        var w = CanonicalJSON.Stream(capacity: 1_024 * (page.count + 1))
        w.beginObject()
        w.key("data")
        w.beginArray()
        for inv in page {
            w.element()
            writeRow(inv, into: &w)
        }
        w.endArray()
        w.key("meta")
        w.beginObject()
        w.key("pagination")
        w.beginObject()
        w.key("limit"); w.int(Int64(query.limit))
        w.key("offset"); w.int(Int64(query.offset))
        w.key("totalCount"); w.int(Int64(total))
        w.endObject()
        w.endObject()
        w.endObject()
        return w.string
    }

    /// `row(_:)`'s members, in key order.
    static func writeRow(_ inv: InvoiceSummary, into w: inout CanonicalJSON.Stream) {
        let currency = Currency(code: inv.currency)
        func balance(_ minor: Int64, _ c: Currency) {
            w.beginObject()
            w.key("code"); w.string(inv.currency)
            w.key("value"); w.string(Money.formatSeed004(minor, currency: c))
            w.endObject()
        }
        w.beginObject()
        w.key("brpStatus"); w.int(Int64(inv.brpState))
        w.key("createdAt"); w.string(inv.createdAt)
        w.key("currency"); w.string(inv.currency)
        w.key("customer")
        w.beginObject()
        if let email = inv.customer.email { w.key("email"); w.string(email) }
        if let externalId = inv.customer.externalId { w.key("externalId"); w.string(externalId) }
        w.key("id"); w.string(inv.customer.id)
        if let name = inv.customer.name { w.key("name"); w.string(name) }
        w.endObject()
        w.key("dueDate"); w.string(inv.dueDate)
        w.key("id"); w.string(inv.id)
        w.key("issueDate"); w.string(inv.issueDate)
        w.key("number"); w.string(inv.number)
        if let c = currency, let t = inv.totals { w.key("openBalance"); balance(t.open, c) }
        w.key("orderId"); w.string(inv.orderId)
        if let c = currency, let t = inv.totals { w.key("originalBalance"); balance(t.total, c) }
        w.key("paymentStatus"); w.string(inv.paymentStatus?.rawValue ?? "open")
        w.key("revision"); w.int(Int64(inv.revision))
        w.key("status"); w.string(inv.status?.rawValue ?? "draft")
        w.key("totals")
        if let t = inv.totals {
            w.beginObject()
            w.key("discount"); w.int(t.discount)
            w.key("open"); w.int(t.open)
            w.key("paid"); w.int(t.paid)
            w.key("subtotal"); w.int(t.subtotal)
            w.key("tax"); w.int(t.tax)
            w.key("total"); w.int(t.total)
            w.endObject()
        } else {
            w.null()
        }
        w.key("type"); w.string(inv.type)
        w.key("updatedAt"); w.string(inv.updatedAt)
        w.endObject()
    }

    static func row(_ inv: InvoiceSummary, extra: [String: JSONValue] = [:]) -> JSONValue {
        var o: [String: JSONValue] = [
            "id": .string(inv.id), "number": inv.number.map(JSONValue.string) ?? .null, "type": .string(inv.type),
            "status": .string(inv.status?.rawValue ?? "draft"), "paymentStatus": .string(inv.paymentStatus?.rawValue ?? "open"),
            "brpStatus": .int(Int64(inv.brpState)),
            "customer": inv.customer.jsonValue, "currency": .string(inv.currency), "issueDate": .string(inv.issueDate),
            "dueDate": .string(inv.dueDate), "orderId": inv.orderId.map(JSONValue.string) ?? .null, "revision": .int(Int64(inv.revision)),
            "totals": inv.totals.map(\.jsonValue) ?? .null, "createdAt": .string(inv.createdAt), "updatedAt": .string(inv.updatedAt),
        ]
        if let c = Currency(code: inv.currency), let t = inv.totals {
            o["originalBalance"] = .object(["code": .string(inv.currency), "value": .string(Money.formatSeed004(t.total, currency: c))])
            o["openBalance"] = .object(["code": .string(inv.currency), "value": .string(Money.formatSeed004(t.open, currency: c))])
        }
        for (k, v) in extra { o[k] = v }
        return .object(o)
    }
}

enum Table {
    static func render(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }
}
