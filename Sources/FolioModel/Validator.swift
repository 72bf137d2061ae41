public import Foundation

/// The state checks of SPEC §7 over one tree of a Folio repository held in memory: a
/// `Validation` fed from a dictionary. Pure: it sees bytes by path and returns findings.
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

    public func run() -> [Finding] {
        var validation = Validation(files: files.filter { DocumentPaths.parse($0.key) == nil }, options: options)
        let documents = files.keys.filter { DocumentPaths.parse($0) != nil }.sorted()
        for path in documents { validation.add(validation.analyse(path: path, data: files[path]!)) }
        return validation.finish()
    }

    /// The checks `validate` makes of one order or invoice on its own (syntax, canonical form,
    /// schema, path, arithmetic, money, workflow), for a write to run on what it is about to
    /// commit. Cross-document checks (links, numbers, credits, extra fields) stay with `run`.
    public static func documentFindings(path: String, data: Data) -> [Finding] {
        Validation(options: Options()).analyse(path: path, data: data).findings
    }
}

/// One validation of one tree, in three steps so that a repository of any size streams
/// through it: the settings files first (`init`), then each document on its own, on any
/// thread (`analyse`, pure) and handed back in path order (`add`), then the checks across
/// documents (`finish`). Between documents it keeps summaries of the invoices (`InvoiceFacts`),
/// never the invoices; documents come in path order, so every invoice has arrived before the
/// first order, and each order is checked against its invoices as it arrives, then dropped.
public struct Validation: Sendable {
    public typealias Options = Validator.Options

    let options: Options
    /// The settings' findings, then each document's as it is added.
    var findings: [Finding] = []
    /// Nil when only single documents are checked (`documentFindings`): extra fields are then
    /// checked by the write that knows the definitions.
    let fields: FieldDefinitions?
    var series: [String: Loaded<SeriesState>] = [:]
    let isShare: Bool
    var invoices: [InvoiceFacts] = []
    /// The invoices (indexes into `invoices`, credit notes aside) that bill each order, so
    /// that an order is checked against them when it arrives and then forgotten.
    var billing: [String: [Int]] = [:]
    /// Every order id met, with its path when that is not its id's path (empty otherwise: at
    /// 100,000 orders the paths alone are megabytes).
    var ordersMet: [String: String] = [:]
    /// Set when only some documents are checked (`checkingSeries(only:)`): the numbers in use
    /// or void of the series those documents touch, found elsewhere, and no other series.
    var seriesInUse: [String: Set<Int>]?

    struct Loaded<T: Sendable>: Sendable { var path: String; var value: T }

    /// `files`: every file of the tree that is not an order or invoice document (settings,
    /// series, stray files).
    public init(files: [String: Data], options: Options = Options()) {
        self.options = options
        isShare = files[DocumentPaths.shareMarker] != nil
        var findings: [Finding] = []
        let settings = SettingsReader(files: files, options: options)
        // config.json is checked for its findings; no rule below needs its values.
        _ = settings.loadSingle(DocumentPaths.config, Schemas.config, required: true, &findings) as FolioConfig?
        let parties: Parties? = settings.loadSingle(DocumentPaths.parties, Schemas.parties, required: true, &findings)
        let fields: FieldDefinitions = settings.loadSingle(DocumentPaths.fields, Schemas.fields, required: false, &findings) ?? FieldDefinitions()
        self.fields = fields
        if let parties { Self.checkParties(parties, &findings) }
        Self.checkFieldDefinitions(fields, &findings)
        for path in files.keys.sorted() where path.hasPrefix(DocumentPaths.seriesFolder + "/") {
            if let s: SeriesState = settings.load(path, Schemas.series, &findings) {
                if path != DocumentPaths.series(s.prefix) {
                    findings.append(Finding("path/id", file: path, pointer: "/prefix", "series \"\(s.prefix)\" belongs in \(DocumentPaths.series(s.prefix))"))
                }
                series[s.prefix] = Loaded(path: path, value: s)
            }
        }
        for path in files.keys.sorted() where path.hasPrefix("invoices/") || path.hasPrefix("orders/") {
            // Documents live at invoices|orders/XX/YY/ID.json (a path that is a function of the
            // id); anything else there is a stray file that no command reads.
            findings.append(Finding("path/stray", file: path, path.hasSuffix(".json")
                ? "is not where a document lives (\(path.hasPrefix("orders/") ? "orders" : "invoices")/XX/YY/ID.json, by the id's hash); no command reads it. Move it with its id's path, or remove it"
                : "is not a document; only documents (.json at their id's path) belong under \(path.hasPrefix("orders/") ? "orders" : "invoices")/. Remove it, or keep it elsewhere"))
        }
        self.findings = findings
    }

    /// For single documents only.
    init(options: Options) {
        self.options = options
        self.fields = nil
        self.isShare = false
    }

    /// What one document contributes.
    public struct DocumentAnalysis: Sendable {
        var findings: [Finding] = []
        var order: OrderFacts?
        var invoice: InvoiceFacts?
    }

    /// The checks of one document on its own. Pure, and safe on any thread.
    public func analyse(path: String, data: Data) -> DocumentAnalysis {
        var out = DocumentAnalysis()
        guard let (kind, _) = DocumentPaths.parse(path) else { return out }
        // One schema walk over the bytes answers, for most documents, both "valid" and
        // "canonical"; the model's value and checks then explain whatever it was not sure of.
        let scan = DocumentScan.read(data, schema: kind == .order ? DocumentScan.order : DocumentScan.invoice)
        guard let json = Self.parseChecked(path, data, options, knownCanonical: scan?.isCanonical == true, &out.findings) else { return out }
        switch kind {
        case .order:
            guard let order: Order = Self.decodeChecked(path, json, Schemas.order, scanned: scan != nil, &out.findings) else { return out }
            Self.checkPath(path, kind, order.id, &out.findings)
            Self.checkOrder(Loaded(path: path, value: order), &out.findings)
            out.order = OrderFacts(order, path: path)
        case .invoice:
            guard let invoice: Invoice = Self.decodeChecked(path, json, Schemas.invoice, scanned: scan != nil, &out.findings) else { return out }
            Self.checkPath(path, kind, invoice.id, &out.findings)
            Self.checkInvoiceAlone(invoice, path: path, &out.findings)
            if let fields {
                let firstSent = invoice.events.filter { $0.type == .sent || $0.type == .issued }.map(\.at).min()
                out.findings += Validator.extraFieldFindings(invoice, path: path, defs: fields, sending: firstSent.map(Validator.Sending.sentAt) ?? .notSent)
            }
            out.invoice = InvoiceFacts(invoice, path: path)
        }
        return out
    }

    /// What ties this document to others in the checks across documents, and the series its
    /// numbers belong to: a check of some documents (`validate --since`) loads every other
    /// holder of each relation, so that every group it checks is whole.
    public func relations(of analysis: DocumentAnalysis) -> (relations: [DocumentRelation], series: Set<String>) {
        var relations: [DocumentRelation] = [], series: Set<String> = []
        if let order = analysis.order { relations.append(.order(order.id)) }
        if let inv = analysis.invoice {
            relations.append(.invoice(inv.id))
            if inv.isCreditNote, let target = inv.creditNoteFor { relations.append(.invoice(target)) }
            if !inv.isCreditNote, let orderID = inv.orderId { relations.append(.order(orderID)) }
            if let number = inv.number { relations.append(.number(number)) }
            for number in [inv.number].compactMap({ $0 }) + inv.voidedNumbers {
                if let (prefix, _) = Series.parse(number) { series.insert(prefix) }
            }
            for d in fields?.fields ?? [] where d.isUnique {
                if let v = inv.extraFields.first(where: { $0.fieldName == d.fieldName }) { relations.append(.uniqueValue(field: d.fieldName, value: v.fieldValue)) }
            }
        }
        return (relations, series)
    }

    /// Limits the series rules to these series, with the sequences in use or void in each
    /// (`RelatedDocuments.seriesInUse`), for a check of only some documents.
    public mutating func checkingSeries(only inUse: [String: Set<Int>]) {
        seriesInUse = inUse
    }

    /// Room for this many invoices' summaries, when the caller knows how many will come: the
    /// summaries are the largest thing a whole-tree check keeps, and an array that grows by
    /// doubling holds up to twice their size while it grows.
    public mutating func expect(invoices count: Int) {
        invoices.reserveCapacity(count)
    }

    /// Documents must be added in path order (invoices/ before orders/), as `analyse` results
    /// of a sorted list of paths.
    public mutating func add(_ analysis: DocumentAnalysis) {
        findings += analysis.findings
        if let invoice = analysis.invoice {
            assert(ordersMet.isEmpty, "documents are added in path order: every invoice before the first order")
            assert(invoices.last.map { $0.path < invoice.path } ?? true, "documents are added in path order")
            if !invoice.isCreditNote, let orderID = invoice.orderId { billing[orderID, default: []].append(invoices.count) }
            invoices.append(invoice.rehomed())
        }
        if let order = analysis.order {
            if let other = ordersMet[order.id] {
                findings.append(Finding("unique/id", file: order.path, pointer: "/id",
                                        "order id \(order.id) is also used by \(other.isEmpty ? DocumentPaths.path(.order, id: order.id) : other)"))
            }
            ordersMet[order.id] = order.path == DocumentPaths.path(.order, id: order.id) ? "" : order.path
            let bills = (billing[order.id] ?? []).map { invoices[$0] }
            // An id given to two orders (already a finding) checks its invoices against both.
            for invoice in bills { Self.checkInvoiceLink(invoice, order: order, &findings) }
            Self.checkItemAccounting(order, bills, &findings)
        }
    }

    /// The checks across documents, and every finding in a stable order.
    public func finish() -> [Finding] {
        var findings = self.findings
        // The invoices came in path order (`add`). The checks below keep positions in this
        // array, never copies of the summaries: at 100,000 invoices a copy is tens of MB.
        var seenIDs: [String: Int] = [:]
        for (k, inv) in invoices.enumerated() {
            if let other = seenIDs[inv.id] {
                findings.append(Finding("unique/id", file: inv.path, pointer: "/id", "invoice id \(inv.id) is also used by \(invoices[other].path)"))
            }
            seenIDs[inv.id] = k
        }
        for (orderID, billers) in billing where ordersMet[orderID] == nil {
            for k in billers {
                findings.append(Finding("order/missing", file: self.invoices[k].path, pointer: "/orderId", "order \(orderID) does not exist"))
            }
        }
        if let fields { Self.checkUniqueExtraFields(invoices, fields, &findings) }
        // A share (SPEC §10) holds one customer's invoices; the series, and the numbers of the
        // other customers, stay in the seller's repository, which checks them.
        if !isShare { Self.checkNumbers(invoices, series, inUse: seriesInUse, &findings) }
        Self.checkCredits(invoices, &findings)
        // Sorted by place, each finding once (two orders with one id find the same things).
        var seen: Set<Finding> = []
        return findings.filter { seen.insert($0).inserted }.sorted { ($0.file, $0.pointer, $0.rule) < ($1.file, $1.pointer, $1.rule) }
    }

    // MARK: - Loading

    /// `knownCanonical`: the scan saw the canonical form (`Captures.isCanonical`), so the bytes
    /// need not be written out again to compare.
    static func parseChecked(_ path: String, _ data: Data, _ options: Options, knownCanonical: Bool = false, _ f: inout [Finding]) -> JSONValue? {
        do {
            let json = try DocumentCodec.parse(data, file: path)
            if options.checkCanonical && !knownCanonical && !DocumentCodec.isCanonical(data, json) {
                f.append(Finding("json/canonical", file: path, "is not in canonical form (sorted keys, 2-space indent, one trailing newline); `folio validate --fix` rewrites it"))
            }
            return json
        } catch {
            f.append(contentsOf: error.findings)
            return nil
        }
    }

    /// `scanned`: `DocumentScan` accepted the bytes with the same schema compiled, so they
    /// certainly pass `Schema.check` (`DocumentScanTests`), which is then skipped; the scan
    /// costs a fifth as much.
    static func decodeChecked<T: Decodable>(_ path: String, _ json: JSONValue, _ schema: Schema, scanned: Bool = false, _ f: inout [Finding]) -> T? {
        do {
            if scanned { return try DocumentCodec.typed(T.self, json, file: path) }
            return try DocumentCodec.decode(T.self, json: json, schema: schema, file: path)
        } catch {
            f.append(contentsOf: error.findings)
            return nil
        }
    }
}

/// What ties documents together in the checks across documents. Each relation has holders:
/// a check of some documents loads all of them, and the groups it checks are then whole.
public enum DocumentRelation: Hashable, Sendable {
    /// The order with this id (at its path) and the invoices that bill it.
    case order(String)
    /// The invoice with this id (at its path) and the credit notes that correct it.
    case invoice(String)
    /// The invoices that hold this number.
    case number(String)
    /// The invoices that hold this value of an extra field defined unique.
    case uniqueValue(field: String, value: String)
}

/// Where the holders of a relation are found without reading every document (the index).
public protocol RelatedDocuments {
    /// The commit (hex) whose documents these answers are about.
    var indexedCommit: String? { get }
    /// Whether a document was left out because it is not at its id's path: it could not be
    /// found as a holder, so a check of some documents cannot be trusted.
    func hasMisplacedDocuments() throws -> Bool
    /// The paths of the invoices that hold `relation`: bill the order, credit the invoice,
    /// hold the number or the unique value. The order or invoice named by the relation's id
    /// is not among them (it is at its own path).
    func invoicePaths(holding relation: DocumentRelation) throws -> [String]
    /// The sequences of each series that invoices use as their number or record as void.
    func seriesInUse(_ prefixes: Set<String>) throws -> [String: Set<Int>]
}

/// The settings files, read with the same checks as documents.
struct SettingsReader {
    let files: [String: Data]
    let options: Validator.Options

    func load<T: Decodable>(_ path: String, _ schema: Schema, _ f: inout [Finding]) -> T? {
        guard let data = files[path], let json = Validation.parseChecked(path, data, options, &f) else { return nil }
        return Validation.decodeChecked(path, json, schema, &f)
    }

    func loadSingle<T: Decodable>(_ path: String, _ schema: Schema, required: Bool, _ f: inout [Finding]) -> T? {
        if files[path] == nil {
            if required { f.append(Finding("repo/missing", file: path, "is missing; is this a Folio repository? (`folio init` creates it)")) }
            return nil
        }
        return load(path, schema, &f)
    }
}

/// What the checks across documents need of one invoice, kept for each invoice instead of
/// the invoice itself while the documents stream past.
struct InvoiceFacts: Sendable {
    struct Line: Sendable {
        var id: String
        var orderItemRef: String?
        var quantity: String
    }
    /// Where the invoice is: its id's path unless `misplaced` says otherwise (kept only then:
    /// at 100,000 invoices the paths alone are megabytes).
    var path: String { misplaced ?? DocumentPaths.path(.invoice, id: id) }
    var misplaced: String?
    var id: String
    var number: String?
    /// `Workflow.label`: the number and id, for sentences.
    var label: String { number.map { "\($0) (\(id))" } ?? id }
    var isCreditNote: Bool
    var creditNoteFor: String?
    var isVoided: Bool
    var orderId: String?
    var currency: String
    var customerId: String
    var lines: [Line]
    var voidedNumbers: [String]
    var extraFields: [ExtraFieldValue]

    init(_ invoice: Invoice, path: String) {
        misplaced = path == DocumentPaths.path(.invoice, id: invoice.id) ? nil : path
        id = invoice.id
        number = invoice.number
        isCreditNote = invoice.type == InvoiceType.creditNote
        creditNoteFor = invoice.creditNoteFor
        isVoided = Workflow.status(events: invoice.events, revision: invoice.revision) == .voided
        orderId = invoice.orderId
        currency = invoice.currency
        customerId = invoice.customer.id
        lines = invoice.lines.map { Line(id: $0.id, orderItemRef: $0.orderItemRef, quantity: $0.quantity) }
        voidedNumbers = invoice.voidedNumbers ?? []
        extraFields = invoice.extraFields ?? []
    }

    /// The same summary in memory of the calling thread. A summary made on a worker sits among
    /// that worker's freed document memory, which it then keeps from being reused or returned
    /// (28 MB of the peak at 100,000 invoices); the thread that keeps the summaries takes a
    /// copy and lets the worker's go.
    func rehomed() -> InvoiceFacts {
        var copy = self
        copy.misplaced = misplaced.map(Self.fresh)
        copy.id = Self.fresh(id)
        copy.number = number.map(Self.fresh)
        copy.creditNoteFor = creditNoteFor.map(Self.fresh)
        copy.orderId = orderId.map(Self.fresh)
        copy.customerId = Self.fresh(customerId)
        copy.lines = lines.map { Line(id: Self.fresh($0.id), orderItemRef: $0.orderItemRef.map(Self.fresh), quantity: Self.fresh($0.quantity)) }
        copy.extraFields = extraFields.map { ExtraFieldValue(fieldName: Self.fresh($0.fieldName), fieldValue: Self.fresh($0.fieldValue)) }
        copy.voidedNumbers = voidedNumbers.map(Self.fresh)
        return copy
    }

    /// A string with storage of its own (strings of up to 15 bytes are held inline, none).
    static func fresh(_ s: String) -> String {
        let count = s.utf8.count
        guard count > 15 else { return s }
        return String(unsafeUninitializedCapacity: count) { buffer in
            _ = buffer.initialize(fromContentsOf: s.utf8)
            return count
        }
    }
}

/// What the checks across documents need of one order: its link fields, and its items'
/// accounting (the items' descriptions and other text are dropped).
struct OrderFacts: Sendable {
    var path: String
    var id: String
    var isMarketplace: Bool
    var currency: String
    var customerId: String
    var items: [OrderItem]

    init(_ order: Order, path: String) {
        self.path = path
        id = order.id
        isMarketplace = order.isMarketplace
        currency = order.currency
        customerId = order.customer.id
        items = order.items.map { item in
            OrderItem(ref: item.ref, description: "", quantity: item.quantity, unitPrice: 0, taxRate: "", status: item.status,
                      invoiceId: item.invoiceId, invoicedParts: item.invoicedParts)
        }
    }
}

extension Validation {
    static func checkPath(_ path: String, _ kind: DocumentKind, _ id: String, _ f: inout [Finding]) {
        let expected = DocumentPaths.path(kind, id: id)
        if path != expected {
            f.append(Finding("path/id", file: path, pointer: "/id", "the \(kind.rawValue) with id \"\(id)\" belongs at \(expected)"))
        }
    }

    // MARK: - Settings

    static func checkParties(_ parties: Parties, _ f: inout [Finding]) {
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

    static func checkFieldDefinitions(_ defs: FieldDefinitions, _ f: inout [Finding]) {
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

    static func checkOrder(_ order: Loaded<Order>, _ f: inout [Finding]) {
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
    static func checkInvoiceAlone(_ doc: Invoice, path: String, _ f: inout [Finding]) {
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

    /// The checks that look at the invoice's order (a credit note has none).
    static func checkInvoiceLink(_ doc: InvoiceFacts, order: OrderFacts, _ f: inout [Finding]) {
        let path = doc.path, orderID = order.id
        func add(_ rule: String, _ pointer: String, _ message: String) { f.append(Finding(rule, file: path, pointer: pointer, message)) }
        if order.isMarketplace { add("order/marketplace", "/orderId", "order \(orderID) is a marketplace order; marketplace orders cannot be invoiced") }
        if order.currency != doc.currency { add("currency/mismatch", "/currency", "is \(doc.currency) but order \(orderID) is in \(order.currency)") }
        if order.customerId != doc.customerId { add("order/customer", "/customer/id", "is \(doc.customerId) but order \(orderID) belongs to \(order.customerId)") }
        for (i, line) in doc.lines.enumerated() {
            guard let ref = line.orderItemRef else { continue }
            if !order.items.contains(where: { $0.ref == ref }) {
                add("order/item-missing", "/lines/\(i)/orderItemRef", "order \(orderID) has no item \"\(ref)\"")
            }
        }
    }

    /// Order items by quantity: what each live invoice bills of an item is what the item
    /// records that invoice took, never more than the item's quantity in total.
    /// `invoices`: the invoices that bill `order` (credit notes aside).
    static func checkItemAccounting(_ order: OrderFacts, _ invoices: [InvoiceFacts], _ f: inout [Finding]) {
        var billed: [String: [String: ExactDecimal]] = [:]   // ref → invoice id → quantity (not void)
        for inv in invoices where !inv.isVoided {
            for line in inv.lines {
                guard let ref = line.orderItemRef else { continue }
                billed[ref, default: [:]][inv.id, default: ExactDecimal(0)] = (billed[ref]?[inv.id] ?? ExactDecimal(0)) + (ExactDecimal(line.quantity) ?? ExactDecimal(0))
            }
        }
        for (i, item) in order.items.enumerated() {
            let bills = billed[item.ref] ?? [:]
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

    /// `inUse`: the series to check, with the sequences their invoices use or record as void
    /// (nil: every series, from `invoices`).
    static func checkNumbers(_ invoices: [InvoiceFacts], _ series: [String: Loaded<SeriesState>], inUse: [String: Set<Int>]?, _ f: inout [Finding]) {
        // Each number's first holder; the holders of a number held more than once.
        var first: [String: Int] = [:]
        var shared: [String: [Int]] = [:]
        for (k, inv) in invoices.enumerated() {
            guard let n = inv.number else { continue }
            if let holder = first[n] { shared[n, default: [holder]].append(k) } else { first[n] = k }
        }
        for (number, holders) in shared.sorted(by: { $0.key < $1.key }) {
            for h in holders {
                let others = holders.filter { $0 != h }.map { invoices[$0].id }.joined(separator: ", ")
                f.append(Finding("unique/number", file: invoices[h].path, pointer: "/number", "number \(number) is also used by \(others); repair with `folio invoice reissue \(invoices[h].id)` on one of them (the number stays on record as void)"))
            }
        }
        var used: [String: Set<Int>] = inUse?.filter { !$0.value.isEmpty } ?? [:]
        if inUse == nil {
            for number in first.keys { if let (p, s) = Series.parse(number) { used[p, default: []].insert(s) } }
            for inv in invoices {
                for number in inv.voidedNumbers { if let (p, s) = Series.parse(number) { used[p, default: []].insert(s) } }
            }
        }
        for (prefix, state) in series where inUse?[prefix] != nil || inUse == nil {
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

    static func checkCredits(_ invoices: [InvoiceFacts], _ f: inout [Finding]) {
        let byID = Dictionary(invoices.indices.map { (invoices[$0].id, $0) }, uniquingKeysWith: { a, _ in a })
        for inv in invoices where inv.isCreditNote {
            guard let target = inv.creditNoteFor else {
                f.append(Finding("credit/target", file: inv.path, pointer: "/creditNoteFor", "a credit note must name the invoice it corrects"))
                continue
            }
            guard let k = byID[target] else {
                f.append(Finding("credit/target", file: inv.path, pointer: "/creditNoteFor", "invoice \(target) does not exist"))
                continue
            }
            let original = invoices[k]
            for (i, line) in inv.lines.enumerated() where !original.lines.contains(where: { $0.id == line.id }) {
                f.append(Finding("credit/line", file: inv.path, pointer: "/lines/\(i)/id", "invoice \(target) has no line \"\(line.id)\""))
            }
            if original.isVoided {
                f.append(Finding("credit/void-target", file: original.path, pointer: "/events",
                                 "invoice \(original.label) was voided although credit note \(inv.label) corrects it; a credited invoice is final"))
            }
        }
        // SPEC §3: a line is credited at most its quantity, over all credit notes together
        // (what `Invoicing.creditedQuantities` adds up).
        let notes = invoices.filter { $0.isCreditNote && !$0.isVoided }
        let byTarget = Dictionary(grouping: notes, by: { $0.creditNoteFor ?? "" })
        for (target, credits) in byTarget.sorted(by: { $0.key < $1.key }) {
            guard let k = byID[target] else { continue }
            let original = invoices[k]
            var credited: [String: ExactDecimal] = [:]
            for note in credits {
                for line in note.lines { if let q = ExactDecimal(line.quantity) { credited[line.id] = (credited[line.id] ?? ExactDecimal(0)) + q } }
            }
            for (i, line) in original.lines.enumerated() {
                if let total = credited[line.id], let quantity = ExactDecimal(line.quantity), ExactDecimal.isLess(quantity, than: total) {
                    f.append(Finding("credit/over", file: original.path, pointer: "/lines/\(i)/quantity",
                                     "line \"\(line.id)\" is credited \(total) in all, more than its quantity \(line.quantity) (credit notes \(credits.compactMap(\.number).sorted().joined(separator: ", ")))"))
                }
            }
        }
    }

    static func checkUniqueExtraFields(_ invoices: [InvoiceFacts], _ defs: FieldDefinitions, _ f: inout [Finding]) {
        for d in defs.fields where d.isUnique {
            var owners: [String: [Int]] = [:]
            for (k, inv) in invoices.enumerated() {
                if let v = inv.extraFields.first(where: { $0.fieldName == d.fieldName }) { owners[v.fieldValue, default: []].append(k) }
            }
            for (value, holders) in owners.sorted(by: { $0.key < $1.key }) where holders.count > 1 {
                for h in holders {
                    let i = invoices[h].extraFields.firstIndex { $0.fieldName == d.fieldName }!
                    let others = holders.filter { $0 != h }.map { invoices[$0].id }.joined(separator: ", ")
                    f.append(Finding("fields/unique", file: invoices[h].path, pointer: "/extraFields/\(i)/fieldValue", "\(d.fieldName) \"\(value)\" must be unique but is also used by \(others)"))
                }
            }
        }
    }
}

extension Validator {
    // MARK: - Extra fields (seed 004)

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
}
