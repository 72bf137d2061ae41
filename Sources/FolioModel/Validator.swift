public import Foundation

/// The state checks of SPEC §7 over one tree of a Folio repository. Pure: it sees bytes by
/// path and returns findings; the repository layer decides where the bytes come from.
public struct Validator {
    public struct Options: Sendable {
        public var checkCanonical = true
        public init() {}
    }

    public var files: [String: Data]
    public var options: Options

    public init(files: [String: Data], options: Options = Options()) {
        self.files = files
        self.options = options
    }

    struct Loaded<T> { var path: String; var value: T }

    public func run() -> [Finding] {
        var findings: [Finding] = []
        // config.json is checked for its findings; no rule below needs its values.
        _ = loadSingle(DocumentPaths.config, Schemas.config, required: true, &findings) as FolioConfig?
        let parties: Parties? = loadSingle(DocumentPaths.parties, Schemas.parties, required: true, &findings)
        let fields: FieldDefinitions = loadSingle(DocumentPaths.fields, Schemas.fields, required: false, &findings) ?? FieldDefinitions()
        if let parties { checkParties(parties, &findings) }
        checkFieldDefinitions(fields, &findings)

        var orders: [String: Loaded<Order>] = [:]
        var invoices: [Loaded<Invoice>] = []
        var series: [String: Loaded<SeriesState>] = [:]
        // Per-document work (parse, schema, arithmetic, workflow) is independent: spread it over
        // the cores, then run the cross-document checks in one pass.
        let documents = files.keys.filter { DocumentPaths.parse($0) != nil }.sorted()
        let analysed = Parallel.map(documents) { path in analyse(path) }
        for path in files.keys.sorted() where path.hasPrefix(DocumentPaths.seriesFolder + "/") {
            if let s: SeriesState = load(path, Schemas.series, &findings) {
                if path != DocumentPaths.series(s.prefix) {
                    findings.append(Finding("path/id", file: path, pointer: "/prefix", "series \"\(s.prefix)\" belongs in \(DocumentPaths.series(s.prefix))"))
                }
                series[s.prefix] = Loaded(path: path, value: s)
            }
        }
        for path in files.keys.sorted() where (path.hasPrefix("invoices/") || path.hasPrefix("orders/")) && DocumentPaths.parse(path) == nil {
            // Documents live at invoices|orders/XX/YY/ID.json (a path that is a function of the
            // id); anything else there is a stray file that no command reads.
            findings.append(Finding("path/stray", file: path, path.hasSuffix(".json")
                ? "is not where a document lives (\(path.hasPrefix("orders/") ? "orders" : "invoices")/XX/YY/ID.json, by the id's hash); no command reads it. Move it with its id's path, or remove it"
                : "is not a document; only documents (.json at their id's path) belong under \(path.hasPrefix("orders/") ? "orders" : "invoices")/. Remove it, or keep it elsewhere"))
        }
        for result in analysed {
            findings.append(contentsOf: result.findings)
            if let order = result.order {
                if let other = orders[order.value.id] {
                    findings.append(Finding("unique/id", file: order.path, pointer: "/id", "order id \(order.value.id) is also used by \(other.path)"))
                }
                orders[order.value.id] = order
            }
            if let invoice = result.invoice { invoices.append(invoice) }
        }
        var seenIDs: [String: String] = [:]
        for inv in invoices {
            if let other = seenIDs[inv.value.id] {
                findings.append(Finding("unique/id", file: inv.path, pointer: "/id", "invoice id \(inv.value.id) is also used by \(other)"))
            }
            seenIDs[inv.value.id] = inv.path
            checkInvoiceLinks(inv, orders: orders, &findings)
            checkExtraFields(inv, fields, &findings)
        }
        checkUniqueExtraFields(invoices, fields, &findings)
        checkItemAccounting(invoices, orders, &findings)
        // A share (SPEC §10) holds one customer's invoices; the series, and the numbers of the
        // other customers, stay in the seller's repository, which checks them.
        if files[DocumentPaths.shareMarker] == nil { checkNumbers(invoices, series, &findings) }
        checkCredits(invoices, &findings)
        return findings.sorted { ($0.file, $0.pointer, $0.rule) < ($1.file, $1.pointer, $1.rule) }
    }

    /// The checks `validate` makes of one order or invoice on its own (syntax, canonical form,
    /// schema, path, arithmetic, money, workflow), for a write to run on what it is about to
    /// commit. Cross-document checks (links, numbers, credits) stay with `run`.
    public static func documentFindings(path: String, data: Data) -> [Finding] {
        Validator(files: [path: data]).analyse(path).findings
    }

    // MARK: - Loading

    struct Analysed {
        var findings: [Finding] = []
        var order: Loaded<Order>?
        var invoice: Loaded<Invoice>?
    }

    func analyse(_ path: String) -> Analysed {
        var out = Analysed()
        guard let (kind, _) = DocumentPaths.parse(path), let data = files[path],
              let json = parseChecked(path, data, &out.findings) else { return out }
        switch kind {
        case .order:
            guard let order: Order = decodeChecked(path, json, data, Schemas.order, &out.findings) else { return out }
            checkPath(path, kind, order.id, &out.findings)
            let loaded = Loaded(path: path, value: order)
            checkOrder(loaded, &out.findings)
            out.order = loaded
        case .invoice:
            guard let invoice: Invoice = decodeChecked(path, json, data, Schemas.invoice, &out.findings) else { return out }
            checkPath(path, kind, invoice.id, &out.findings)
            let loaded = Loaded(path: path, value: invoice)
            checkInvoiceAlone(loaded, &out.findings)
            out.invoice = loaded
        }
        return out
    }

    func parseChecked(_ path: String, _ data: Data, _ f: inout [Finding]) -> JSONValue? {
        do {
            let json = try DocumentCodec.parse(data, file: path)
            if options.checkCanonical && !DocumentCodec.isCanonical(data, json) {
                f.append(Finding("json/canonical", file: path, "is not in canonical form (sorted keys, 2-space indent, one trailing newline); `folio validate --fix` rewrites it"))
            }
            return json
        } catch {
            f.append(contentsOf: error.findings)
            return nil
        }
    }

    func decodeChecked<T: Decodable>(_ path: String, _ json: JSONValue, _ data: Data, _ schema: Schema, _ f: inout [Finding]) -> T? {
        do { return try DocumentCodec.decode(T.self, json: json, data: data, schema: schema, file: path) } catch {
            f.append(contentsOf: error.findings)
            return nil
        }
    }

    func load<T: Decodable>(_ path: String, _ schema: Schema, _ f: inout [Finding]) -> T? {
        guard let data = files[path], let json = parseChecked(path, data, &f) else { return nil }
        return decodeChecked(path, json, data, schema, &f)
    }

    func loadSingle<T: Decodable>(_ path: String, _ schema: Schema, required: Bool, _ f: inout [Finding]) -> T? {
        if files[path] == nil {
            if required { f.append(Finding("repo/missing", file: path, "is missing; is this a Folio repository? (`folio init` creates it)")) }
            return nil
        }
        return load(path, schema, &f)
    }

    func checkPath(_ path: String, _ kind: DocumentKind, _ id: String, _ f: inout [Finding]) {
        let expected = DocumentPaths.path(kind, id: id)
        if path != expected {
            f.append(Finding("path/id", file: path, pointer: "/id", "the \(kind.rawValue) with id \"\(id)\" belongs at \(expected)"))
        }
    }

    // MARK: - Settings

    func checkParties(_ parties: Parties, _ f: inout [Finding]) {
        for (email, party) in parties.parties.sorted(by: { $0.key < $1.key }) {
            let p = "/parties/" + JSONPointer.escape(email)
            if !Schema.looksLikeEmail(email) { f.append(Finding("party/email", file: DocumentPaths.parties, pointer: p, "\"\(email)\" is not an email address")) }
            if party.role == .buyer && party.customerId == nil {
                f.append(Finding("party/customer", file: DocumentPaths.parties, pointer: p + "/customerId", "a buyer must belong to a customer id"))
            }
            if party.role == .server && party.key == nil {
                f.append(Finding("party/server-key", file: DocumentPaths.parties, pointer: p + "/key", "a server party exists to sign what it writes: it needs a key"))
            }
            if party.role == .server && (party.customerId != nil || party.series != nil) {
                f.append(Finding("party/server", file: DocumentPaths.parties, pointer: p, "a server party has no customerId and no series: it acts for the parties it authenticates"))
            }
            if let s = party.series, let problem = Series.validatePrefix(s) {
                f.append(Finding("party/series", file: DocumentPaths.parties, pointer: p + "/series", "series \"\(s)\" \(problem)"))
            }
        }
    }

    func checkFieldDefinitions(_ defs: FieldDefinitions, _ f: inout [Finding]) {
        var names: Set<String> = []
        for (i, d) in defs.fields.enumerated() {
            if !names.insert(d.fieldName).inserted {
                f.append(Finding("fields/duplicate", file: DocumentPaths.fields, pointer: "/fields/\(i)/fieldName", "extra field \"\(d.fieldName)\" is defined twice"))
            }
            if d.fieldType == .list && (d.listOfValue ?? []).isEmpty {
                f.append(Finding("fields/list", file: DocumentPaths.fields, pointer: "/fields/\(i)/listOfValue", "a list field needs its list of values"))
            }
        }
    }

    // MARK: - Documents

    func checkOrder(_ order: Loaded<Order>, _ f: inout [Finding]) {
        for (i, c) in (order.value.conflicts ?? []).enumerated() {
            f.append(Finding("conflicts/unresolved", file: order.path, pointer: "/conflicts/\(i)", "unresolved conflict at \(c.path)\(c.reason.map { " (\($0))" } ?? ""); run `folio conflicts` and `folio resolve \(order.value.id) --path \(c.path) --take ours|theirs|VALUE`"))
        }
        var refs: Set<String> = []
        for (i, item) in order.value.items.enumerated() {
            if !refs.insert(item.ref).inserted {
                f.append(Finding("unique/id", file: order.path, pointer: "/items/\(i)/ref", "item ref \"\(item.ref)\" is used twice in this order"))
            }
            if item.status == .invoiced && item.takers.isEmpty {
                f.append(Finding("order/item-status", file: order.path, pointer: "/items/\(i)/invoiceId", "an invoiced item must name the invoice that took it"))
            }
            if item.invoiceId != nil && item.invoicedParts != nil {
                f.append(Finding("order/item-status", file: order.path, pointer: "/items/\(i)/invoicedParts", "an item is taken whole (invoiceId) or in parts (invoicedParts), not both"))
            } else if let parts = item.invoicedParts {
                let taken = item.invoicedQuantity()
                if Set(parts.map(\.invoiceId)).count != parts.count {
                    f.append(Finding("unique/id", file: order.path, pointer: "/items/\(i)/invoicedParts", "an invoice is named twice among the parts of item \"\(item.ref)\""))
                } else if ExactDecimal.isLess(item.quantityValue, than: taken) {
                    f.append(Finding("order/item-twice", file: order.path, pointer: "/items/\(i)/invoicedParts", "the parts of item \"\(item.ref)\" add up to \(taken), more than its quantity \(item.quantity)"))
                } else if item.status == .invoiced, !ExactDecimal.isSame(taken, as: item.quantityValue) {
                    f.append(Finding("order/item-status", file: order.path, pointer: "/items/\(i)/status", "item \"\(item.ref)\" is invoiced but its parts add up to \(taken) of \(item.quantity); the rest is open (or cancel it)"))
                } else if item.status == .open, ExactDecimal.isSame(taken, as: item.quantityValue) {
                    f.append(Finding("order/item-status", file: order.path, pointer: "/items/\(i)/status", "item \"\(item.ref)\" is open but its parts take all of it; it is invoiced"))
                }
            } else if item.invoiceId != nil && item.status != .invoiced {
                f.append(Finding("order/item-status", file: order.path, pointer: "/items/\(i)/status", "item \"\(item.ref)\" names invoice \(item.invoiceId!) as taking it whole but is \(item.status.rawValue)"))
            }
        }
    }

    /// The checks that need only the invoice itself: run in parallel.
    func checkInvoiceAlone(_ inv: Loaded<Invoice>, _ f: inout [Finding]) {
        let doc = inv.value, path = inv.path
        func add(_ rule: String, _ pointer: String, _ message: String) { f.append(Finding(rule, file: path, pointer: pointer, message)) }
        for (name, ids) in [("line", doc.lines.map(\.id)), ("cost line", (doc.costLines ?? []).map(\.id)), ("payment", doc.payments.map(\.id)), ("event", doc.events.map(\.id))] {
            var seen: Set<String> = []
            for (i, id) in ids.enumerated() where !seen.insert(id).inserted {
                let list = ["line": "lines", "cost line": "costLines", "payment": "payments", "event": "events"][name]!
                add("unique/id", "/\(list)/\(i)/id", "\(name) id \"\(id)\" is used twice in this invoice")
            }
        }
        let derived: Invoice
        do { derived = try doc.derived() } catch {
            add("arith/overflow", "", error.description)
            return
        }
        // SPEC §3: no minus where a person would not write one.
        for (i, line) in derived.lines.enumerated() where (line.net ?? 0) < 0 {
            add("money/negative", "/lines/\(i)/discount", "line \(line.id): the discount \(line.discount ?? 0) is larger than quantity × unitPrice, so its net would be \(line.net ?? 0); a line's net is never below zero")
        }
        if let total = derived.totals?.total, total < 0 {
            add("money/negative", "/totals/total", "the invoice total would be \(total); an invoice's total is never below zero")
        }
        for (i, (have, want)) in zip(doc.lines, derived.lines).enumerated() {
            for (field, a, b) in [("net", have.net, want.net), ("tax", have.tax, want.tax), ("total", have.total, want.total)] where a != b {
                add("arith/line", "/lines/\(i)/\(field)", "is \(a.map(String.init) ?? "missing") but quantity × unitPrice − discount and the tax rate give \(b!)")
            }
        }
        for (i, (have, want)) in zip(doc.costLines ?? [], derived.costLines ?? []).enumerated() {
            for (field, a, b) in [("tax", have.tax, want.tax), ("total", have.total, want.total)] where a != b {
                add("arith/line", "/costLines/\(i)/\(field)", "is \(a.map(String.init) ?? "missing") but the amount and tax rate give \(b!)")
            }
        }
        if let have = doc.totals, let want = derived.totals {
            let pairs: [(String, Int64, Int64)] = [("subtotal", have.subtotal, want.subtotal), ("discount", have.discount, want.discount), ("tax", have.tax, want.tax),
                                                   ("total", have.total, want.total), ("paid", have.paid, want.paid), ("open", have.open, want.open)]
            for (field, a, b) in pairs where a != b {
                add(field == "open" || field == "paid" ? "arith/balance" : "arith/totals", "/totals/\(field)", "is \(a) but the lines and payments give \(b)")
            }
        } else {
            add("arith/totals", "/totals", "is missing; totals are derived from the lines")
        }
        if doc.paymentStatus != derived.paymentStatus {
            add("arith/payment-status", "/paymentStatus", "is \(doc.paymentStatus?.rawValue ?? "missing") but paid \(derived.totals!.paid) of \(derived.totals!.total) makes it \(derived.paymentStatus!.rawValue)")
        }
        if doc.status != derived.status {
            add("status/events", "/status", "is \(doc.status?.rawValue ?? "missing") but the events and revision make it \(derived.status!.rawValue)")
        }
        if doc.events != derived.events { add("status/order", "/events", "events must be ordered by (at, id)") }
        if doc.payments != derived.payments { add("status/order", "/payments", "payments must be ordered by (at, id)") }
        // An acceptance fixes its revision: a later revision sent concurrently with it (a merge
        // keeps that send in the events, with a record) does not raise the revision.
        let acceptedRevision = doc.events.filter { $0.type == .accepted }.map(\.revision).min()
        if let sent = Workflow.lastSentRevision(doc.events.filter { e in acceptedRevision.map { e.revision <= $0 } ?? true }), doc.revision < sent {
            add("status/revision", "/revision", "is \(doc.revision) but revision \(sent) was sent")
        }
        let wasSent = doc.events.contains { $0.type == .sent || $0.type == .issued }
        if wasSent && doc.number == nil { add("number/missing", "/number", "a sent or issued invoice must have a number") }
        if let n = doc.number, Series.parse(n) == nil { add("number/format", "/number", "\"\(n)\" is not a series prefix and sequence such as A-00007") }
        for (i, c) in (doc.conflicts ?? []).enumerated() {
            add("conflicts/unresolved", "/conflicts/\(i)", "unresolved conflict at \(c.path)\(c.reason.map { " (\($0))" } ?? ""); run `folio conflicts` and `folio resolve \(doc.id) --path \(c.path) --take ours|theirs|VALUE`")
        }
        for (i, line) in doc.lines.enumerated() where ExactDecimal(line.quantity).map({ $0.isZero }) == true {
            f.append(Finding("line/quantity", .warning, file: path, pointer: "/lines/\(i)/quantity", "quantity is zero"))
        }
        if let due = Dates.parseDate(doc.dueDate), let issue = Dates.parseDate(doc.issueDate), due < issue {
            add("date/order", "/dueDate", "\(doc.dueDate) is before the issue date \(doc.issueDate)")
        }
    }

    /// The checks that look at the invoice's order.
    func checkInvoiceLinks(_ inv: Loaded<Invoice>, orders: [String: Loaded<Order>], _ f: inout [Finding]) {
        let doc = inv.value, path = inv.path
        func add(_ rule: String, _ pointer: String, _ message: String) { f.append(Finding(rule, file: path, pointer: pointer, message)) }
        guard doc.type != InvoiceType.creditNote else { return }
        guard let orderID = doc.orderId else { return }
        guard let order = orders[orderID] else {
            add("order/missing", "/orderId", "order \(orderID) does not exist")
            return
        }
        if order.value.isMarketplace { add("order/marketplace", "/orderId", "order \(orderID) is a marketplace order; marketplace orders cannot be invoiced") }
        if order.value.currency != doc.currency { add("currency/mismatch", "/currency", "is \(doc.currency) but order \(orderID) is in \(order.value.currency)") }
        if order.value.customer.id != doc.customer.id { add("order/customer", "/customer/id", "is \(doc.customer.id) but order \(orderID) belongs to \(order.value.customer.id)") }
        for (i, line) in doc.lines.enumerated() {
            guard let ref = line.orderItemRef else { continue }
            if !order.value.items.contains(where: { $0.ref == ref }) {
                add("order/item-missing", "/lines/\(i)/orderItemRef", "order \(orderID) has no item \"\(ref)\"")
            }
        }
    }

    /// Order items by quantity: what each live invoice bills of an item is what the item
    /// records that invoice took, never more than the item's quantity in total.
    func checkItemAccounting(_ invoices: [Loaded<Invoice>], _ orders: [String: Loaded<Order>], _ f: inout [Finding]) {
        var billed: [String: [String: [String: ExactDecimal]]] = [:]   // order → ref → invoice id → quantity (not void)
        for inv in invoices where inv.value.type != InvoiceType.creditNote {
            guard let orderID = inv.value.orderId else { continue }
            let status = Workflow.status(events: inv.value.events, revision: inv.value.revision)
            if status == .voided { continue }
            for line in inv.value.lines {
                guard let ref = line.orderItemRef else { continue }
                billed[orderID, default: [:]][ref, default: [:]][inv.value.id, default: ExactDecimal(0)] = (billed[orderID]?[ref]?[inv.value.id] ?? ExactDecimal(0)) + (ExactDecimal(line.quantity) ?? ExactDecimal(0))
            }
        }
        for order in orders.values.sorted(by: { $0.path < $1.path }) {
            for (i, item) in order.value.items.enumerated() {
                let bills = billed[order.value.id]?[item.ref] ?? [:]
                let total = bills.values.reduce(ExactDecimal(0), +)
                if ExactDecimal.isLess(item.quantityValue, than: total) {
                    let who = bills.sorted { $0.key < $1.key }.map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
                    f.append(Finding("order/item-twice", file: order.path, pointer: "/items/\(i)", "item \"\(item.ref)\" is invoiced more than once, beyond its quantity \(item.quantity): \(who)"))
                    continue
                }
                if bills.isEmpty && !item.takers.isEmpty {
                    f.append(Finding("order/item-status", file: order.path, pointer: "/items/\(i)/status", "item \"\(item.ref)\" is marked invoiced by \(item.takers.joined(separator: ", ")) but no invoice (that is not void) has it"))
                    continue
                }
                for (invoiceID, quantity) in bills.sorted(by: { $0.key < $1.key }) {
                    let recorded = item.invoicedQuantity(of: invoiceID)
                    if recorded.isZero && !quantity.isZero {
                        f.append(Finding("order/item-status", file: order.path, pointer: "/items/\(i)/status", "item \"\(item.ref)\" is \(item.status.rawValue) but invoice \(invoiceID) has it"))
                    } else if !ExactDecimal.isSame(recorded, as: quantity) {
                        f.append(Finding("order/item-quantity", file: order.path, pointer: "/items/\(i)", "item \"\(item.ref)\" records \(recorded) taken by invoice \(invoiceID), which bills \(quantity); the rest must stay open to be invoiced or cancelled"))
                    }
                }
                for invoiceID in item.takers where bills[invoiceID] == nil {
                    f.append(Finding("order/item-status", file: order.path, pointer: "/items/\(i)/status", "item \"\(item.ref)\" records a part taken by \(invoiceID), which does not bill it (or is void)"))
                }
            }
        }
    }

    func checkNumbers(_ invoices: [Loaded<Invoice>], _ series: [String: Loaded<SeriesState>], _ f: inout [Finding]) {
        var byNumber: [String: [Loaded<Invoice>]] = [:]
        for inv in invoices { if let n = inv.value.number { byNumber[n, default: []].append(inv) } }
        for (number, holders) in byNumber.sorted(by: { $0.key < $1.key }) where holders.count > 1 {
            for h in holders {
                f.append(Finding("unique/number", file: h.path, pointer: "/number", "number \(number) is also used by \(holders.filter { $0.path != h.path }.map(\.value.id).joined(separator: ", ")); repair with `folio invoice reissue \(h.value.id)` on one of them (the number stays on record as void)"))
            }
        }
        var used: [String: Set<Int>] = [:]
        for number in byNumber.keys { if let (p, s) = Series.parse(number) { used[p, default: []].insert(s) } }
        for inv in invoices {
            for number in inv.value.voidedNumbers ?? [] { if let (p, s) = Series.parse(number) { used[p, default: []].insert(s) } }
        }
        for (prefix, state) in series {
            for v in state.value.void ?? [] { if let (p, s) = Series.parse(v.number), p == prefix { used[p, default: []].insert(s) } }
        }
        for (prefix, seqs) in used.sorted(by: { $0.key < $1.key }) {
            guard let state = series[prefix] else {
                f.append(Finding("series/missing", file: DocumentPaths.series(prefix), "numbers of series \(prefix) are in use but the series has no state file"))
                continue
            }
            if let top = seqs.max(), top > state.value.last {
                f.append(Finding("series/ahead", file: state.path, pointer: "/last", "is \(state.value.last) but number \(top) of series \(prefix) is in use"))
            }
            let missing = (1...max(1, state.value.last)).filter { !seqs.contains($0) }
            if state.value.last > 0 && !missing.isEmpty {
                let shown = missing.prefix(5).map(String.init).joined(separator: ", ")
                f.append(Finding("series/gap", file: state.path, pointer: "/last", "series \(prefix) has gaps: sequence \(shown)\(missing.count > 5 ? " and \(missing.count - 5) more" : "") neither used nor recorded as void"))
            }
        }
    }

    func checkCredits(_ invoices: [Loaded<Invoice>], _ f: inout [Finding]) {
        let byID = Dictionary(invoices.map { ($0.value.id, $0) }, uniquingKeysWith: { a, _ in a })
        for inv in invoices where inv.value.type == InvoiceType.creditNote {
            guard let target = inv.value.creditNoteFor else {
                f.append(Finding("credit/target", file: inv.path, pointer: "/creditNoteFor", "a credit note must name the invoice it corrects"))
                continue
            }
            guard let original = byID[target] else {
                f.append(Finding("credit/target", file: inv.path, pointer: "/creditNoteFor", "invoice \(target) does not exist"))
                continue
            }
            for (i, line) in inv.value.lines.enumerated() where !original.value.lines.contains(where: { $0.id == line.id }) {
                f.append(Finding("credit/line", file: inv.path, pointer: "/lines/\(i)/id", "invoice \(target) has no line \"\(line.id)\""))
            }
            if Workflow.status(events: original.value.events, revision: original.value.revision) == .voided {
                f.append(Finding("credit/void-target", file: original.path, pointer: "/events",
                                 "invoice \(Workflow.label(original.value)) was voided although credit note \(Workflow.label(inv.value)) corrects it; a credited invoice is final"))
            }
        }
        // SPEC §3: a line is credited at most its quantity, over all credit notes together.
        let notes = invoices.map(\.value).filter { $0.type == InvoiceType.creditNote && Workflow.status(events: $0.events, revision: $0.revision) != .voided }
        let byTarget = Dictionary(grouping: notes, by: { $0.creditNoteFor ?? "" })
        for (target, credits) in byTarget.sorted(by: { $0.key < $1.key }) {
            guard let original = byID[target] else { continue }
            let credited = Invoicing.creditedQuantities(of: original.value, by: credits)
            for (i, line) in original.value.lines.enumerated() {
                if let total = credited[line.id], let quantity = ExactDecimal(line.quantity), ExactDecimal.isLess(quantity, than: total) {
                    f.append(Finding("credit/over", file: original.path, pointer: "/lines/\(i)/quantity",
                                     "line \"\(line.id)\" is credited \(total) in all, more than its quantity \(line.quantity) (credit notes \(credits.compactMap(\.number).sorted().joined(separator: ", ")))"))
                }
            }
        }
    }

    // MARK: - Extra fields (seed 004)

    func checkExtraFields(_ inv: Loaded<Invoice>, _ defs: FieldDefinitions, _ f: inout [Finding]) {
        let firstSent = inv.value.events.filter { $0.type == .sent || $0.type == .issued }.map(\.at).min()
        f.append(contentsOf: Validator.extraFieldFindings(inv.value, path: inv.path, defs: defs, sending: firstSent.map(Sending.sentAt) ?? .notSent))
    }

    /// The per-invoice extra-field rules (seed 004): defined, max length, list of values,
    /// type, and required fields present once the invoice is sent, for the definitions that
    /// were there when it was first sent (a definition added in the same second as a send
    /// does not bind it: the send came first, or validate could never pass).
    public enum Sending: Sendable {
        case notSent
        /// A send being decided now: every current definition applies.
        case now
        case sentAt(String)
    }

    public static func extraFieldFindings(_ invoice: Invoice, path: String, defs: FieldDefinitions, sending: Sending) -> [Finding] {
        var f: [Finding] = []
        let inv = (value: invoice, path: path)
        let values = inv.value.extraFields ?? []
        var seen: Set<String> = []
        for (i, v) in values.enumerated() {
            let p = "/extraFields/\(i)/fieldValue"
            if !seen.insert(v.fieldName).inserted {
                f.append(Finding("fields/duplicate", file: inv.path, pointer: "/extraFields/\(i)/fieldName", "extra field \"\(v.fieldName)\" is given twice"))
            }
            guard let d = defs.fields.first(where: { $0.fieldName == v.fieldName }) else {
                f.append(Finding("fields/unknown", file: inv.path, pointer: "/extraFields/\(i)/fieldName", "extra field \"\(v.fieldName)\" is not defined in \(DocumentPaths.fields)"))
                continue
            }
            if let max = d.maximumLength, v.fieldValue.count > max {
                f.append(Finding("fields/max-length", file: inv.path, pointer: p, "is \(v.fieldValue.count) characters; \(d.fieldName) allows at most \(max)"))
            }
            switch d.fieldType {
            case .list:
                if !(d.listOfValue ?? []).contains(v.fieldValue) {
                    f.append(Finding("fields/list", file: inv.path, pointer: p, "\"\(v.fieldValue)\" is not one of \((d.listOfValue ?? []).joined(separator: ", "))"))
                }
            case .number:
                if ExactDecimal(v.fieldValue) == nil { f.append(Finding("fields/type", file: inv.path, pointer: p, "\"\(v.fieldValue)\" is not a number")) }
            case .date:
                if !Dates.isValidDate(v.fieldValue) { f.append(Finding("fields/type", file: inv.path, pointer: p, "\"\(v.fieldValue)\" is not a date YYYY-MM-DD")) }
            case .text: break
            }
        }
        guard inv.value.type != InvoiceType.creditNote else { return f }
        func binds(_ d: FieldDefinition) -> Bool {
            switch sending {
            case .notSent: false
            case .now: true
            case .sentAt(let at): d.addedAt.map { $0 < at } ?? true
            }
        }
        for d in defs.fields where d.isRequired && !seen.contains(d.fieldName) && binds(d) {
            f.append(Finding("fields/required", file: inv.path, pointer: "/extraFields", "extra field \"\(d.fieldName)\" is required (set it with --set /extraFields/-='{\"fieldName\": \"\(d.fieldName)\", \"fieldValue\": \"…\"}')"))
        }
        return f
    }

    func checkUniqueExtraFields(_ invoices: [Loaded<Invoice>], _ defs: FieldDefinitions, _ f: inout [Finding]) {
        for d in defs.fields where d.isUnique {
            var owners: [String: [Loaded<Invoice>]] = [:]
            for inv in invoices {
                if let v = inv.value.extraFields?.first(where: { $0.fieldName == d.fieldName }) { owners[v.fieldValue, default: []].append(inv) }
            }
            for (value, holders) in owners.sorted(by: { $0.key < $1.key }) where holders.count > 1 {
                for h in holders {
                    let i = h.value.extraFields!.firstIndex { $0.fieldName == d.fieldName }!
                    f.append(Finding("fields/unique", file: h.path, pointer: "/extraFields/\(i)/fieldValue", "\(d.fieldName) \"\(value)\" must be unique but is also used by \(holders.filter { $0.path != h.path }.map(\.value.id).joined(separator: ", "))"))
                }
            }
        }
    }
}
