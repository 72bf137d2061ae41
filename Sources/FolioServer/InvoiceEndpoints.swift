import Crypto
import Foundation
import FolioApp
import FolioIndex
import FolioModel
import FolioRepo
import HTTPTypes
import Hummingbird
import NIOCore

/// Seed 004's invoice endpoints and seed 000's approval actions: each parses its request,
/// calls one use case of FolioRepo or FolioApp, and answers in seed 004's shapes.
extension FolioServer {
    func list(_ request: Request) throws -> Response {
        let repo = try open()
        let party = try authenticate(request, repo)
        let q = request.uri.queryParameters
        var query = InvoiceQuery()
        query.offset = try Self.int(request, "offset", 0...Int(Int32.max), 0)
        query.limit = try Self.int(request, "limit", 0...1000, 50)
        if let sortBy = q.get("sortBy") {
            guard let key = InvoiceQuery.parse(sortBy, as: InvoiceQuery.SortKey.self) else {
                throw FolioError.usage("sortBy \"\(sortBy)\" is not one of \(InvoiceQuery.SortKey.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.sortBy = key
        }
        if let orderBy = q.get("orderBy") {
            guard let order = InvoiceQuery.parse(orderBy, as: InvoiceQuery.SortOrder.self) else { throw FolioError.usage("orderBy must be ASC or DESC") }
            query.descending = order == .descending
        }
        if let searchBy = q.get("searchBy"), !searchBy.isEmpty {
            guard let field = InvoiceQuery.parse(searchBy, as: InvoiceQuery.SearchField.self) else {
                throw FolioError.usage("searchBy \"\(searchBy)\" is not one of \(InvoiceQuery.SearchField.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.searchBy = field
        }
        query.q = q.get("q").flatMap { $0.isEmpty ? nil : $0 }
        query.customerId = q.get("customerId")
        query.customerName = q.get("customerName")
        if let status = q.get("status") {
            guard let n = Int(status), let payment = Seed004.paymentStatus(n) else { throw FolioError.usage("status must be 0 (open), 1 (partially paid) or 2 (paid)") }
            query.paymentStatuses = [payment]
        }
        // Seed 004's created-at range, in Unix seconds; Folio's index keeps the UTC day.
        func day(_ name: String) throws -> String? {
            guard let text = q.get(name) else { return nil }
            guard let seconds = Int64(text), (0...253_402_300_799).contains(seconds) else { throw FolioError.usage("\(name) must be a Unix timestamp (whole seconds)") }
            return Dates.formatDate(days: Int(seconds / 86_400))
        }
        query.createdFrom = try day("beginDateAt")
        query.createdTo = try day("endDateAt")
        // Clients percent-encode the brackets (externalId%5B%5D); Hummingbird decodes values, not keys.
        query.externalIds = q.filter { String($0.key).removingPercentEncoding == "externalId[]" }.map { String($0.value) }
        query.channels = try q.getAll("channelIds").map { text in
            let digits = text.hasPrefix("-") ? text.dropFirst() : text[...]
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { throw FolioError.usage("channelIds must be whole numbers (BigCommerce channel ids)") }
            return String(text)
        }
        // Seed 001's filters, which seed 004 lacks: the number (with or without its prefix),
        // the numeric state 1-9, and any of a comma-separated list of product ids.
        query.number = q.get("number").flatMap { $0.isEmpty ? nil : $0 }
        if let state = q.get("state") {
            guard let n = Int(state), (1...9).contains(n) else { throw FolioError.usage("state must be seed 001's invoice state, 1 to 9") }
            query.brpStates = [n]
        }
        query.productIds = q.get("productids").map { $0.split(separator: ",").map { String($0) } } ?? []
        let includeExtraFields: Bool
        switch q.get("isIncludeExtraFields") {
        case nil, "0": includeExtraFields = false
        case "1": includeExtraFields = true
        default: throw FolioError.usage("isIncludeExtraFields must be 0 or 1")
        }
        let reads = IndexReads(repo: repo)
        let (page, total) = try reads.reading { index in
            var query = query
            if let customer = try reads.visibleCustomer(index, actingAs: party) { query.visibleCustomer = customer }
            return try index.invoices(query)
        }
        var listed = Seed004.page(page, total: total, offset: query.offset, limit: query.limit)
        if includeExtraFields, case .object(var top) = listed, case .array(let rows)? = top["data"] {
            // The index keeps no extra fields: the page's documents are read for them.
            let snap = try repo.snapshot()
            top["data"] = .array(try zip(rows, page).map { row, summary in
                guard case .object(var members) = row else { return row }
                let fields = try snap.invoice(summary.id).0.extraFields ?? []
                members["extraFields"] = .array(fields.map { .object(["fieldName": .string($0.fieldName), "fieldValue": .string($0.fieldValue)]) })
                return .object(members)
            })
            listed = .object(top)
        }
        return Self.json(listed)
    }

    func show(_ request: Request, id: String) throws -> Response {
        let repo = try open()
        let party = try authenticate(request, repo)
        let (invoice, document) = try visibleInvoice(repo, id: id, party: party)
        return Self.json(Self.detail(invoice, document), etag: Self.etag(document))
    }

    func respond(_ request: Request, id: String, event: EventType, body: Data) throws -> Response {
        let repo = try open()
        let party = try authenticate(request, repo)
        let field = event == .declined ? "reason" : event == .changesRequested ? "note" : nil
        var text: String?
        if let members = try Self.object(body) {
            for key in members.keys where key != field {
                throw FolioError.usage("/\(key): unknown field" + (field.map { "; this action takes {\"\($0)\": TEXT}" } ?? "; accept takes no body"))
            }
            if let field, let given = members[field] {
                guard case .string(let s) = given else { throw FolioError.usage("/\(field): must be a string") }
                text = s
            }
        }
        if let field, (text ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw FolioError.usage("/\(field): required, a sentence for the seller")
        }
        _ = try visibleInvoice(repo, id: id, party: party)
        do {
            _ = try repo.respond(id: id, with: event, text: text, caller: Self.caller(party, request, body))
        } catch FolioError.alreadyDone {
            // A retried request: nothing new was written, and the answer is the invoice as it is.
        }
        return try Self.current(repo, id)
    }

    func open() throws -> FolioRepository {
        let repo = try FolioRepository.open(path)
        repo.documentCache = cache
        if let key, key.party(in: try repo.snapshot().parties()) != nil { repo.serverSigner = key.signer }
        return repo
    }

    /// Seed 004's "create invoice from order": a seller's draft of the order's open items
    /// (`{"items": ["1", "2"], "dueDate": "YYYY-MM-DD"}`, both optional), 201 with the invoice.
    func createFromOrder(_ request: Request, orderID: String, body: Data) throws -> Response {
        let repo = try open()
        let party = try authenticate(request, repo)
        var refs: [String]?
        var dueDate: String?
        if let members = try Self.object(body) {
            for (key, given) in members {
                switch (key, given) {
                case ("items", .array(let items)):
                    refs = try items.map { item in
                        guard case .string(let ref) = item else { throw FolioError.usage("/items: must be an array of item refs (strings)") }
                        return ref
                    }
                case ("items", _): throw FolioError.usage("/items: must be an array of item refs (strings)")
                case ("dueDate", .string(let date)) where Dates.isValidDate(date): dueDate = date
                case ("dueDate", _): throw FolioError.usage("/dueDate: must be a date YYYY-MM-DD")
                default: throw FolioError.usage("/\(key): unknown field; this action takes items and dueDate")
                }
            }
        }
        return try created(repo, party, request, body) { caller in
            try repo.createInvoice(orderID: orderID, refs: refs, dueDate: dueDate, email: false, caller: caller).value
        }
    }

    /// POST /invoices, seed 004's create: an invoice of an order's items (`orderNumber`, Folio's
    /// `items`), with seed 004's writable fields set in the same commit; 201.
    func create(_ request: Request, body: Data) throws -> Response {
        let repo = try open()
        let party = try authenticate(request, repo)
        let asked = try Seed004Request.create(Self.object(body) ?? [:])
        return try created(repo, party, request, body) { caller in
            try repo.createInvoice(orderID: asked.orderID, refs: asked.items, dueDate: asked.dueDate, email: false, patch: asked.patch, caller: caller).value
        }
    }

    /// 201 with the new invoice; a retried request (same Idempotency-Key) answers the same.
    func created(_ repo: FolioRepository, _ party: String, _ request: Request, _ body: Data, _ make: (Caller) throws -> Invoice) throws -> Response {
        let id: String
        do {
            id = try make(Self.caller(party, request, body)).id
        } catch FolioError.alreadyDone(_, _, _, let done) {
            guard let done else { throw FolioError.usage("this Idempotency-Key was used for an invoice that cannot be found") }
            id = done.id
        }
        return try Self.current(repo, id, status: .created)
    }

    /// PUT /invoices/{id}: seed 004's writable fields, and Folio's merge patch under `document`.
    func update(_ request: Request, id: String, body: Data) throws -> Response {
        let repo = try open()
        let party = try authenticate(request, repo)
        guard let members = try Self.object(body) else { throw FolioError.usage("the body must be a JSON object of the fields to change") }
        let patch = try Seed004Request.update(members)
        let (shown, document) = try visibleInvoice(repo, id: id, party: party)
        // PUT is idempotent: asking for what is already there answers it and writes nothing.
        let ifMatch = request.headers[.ifMatch]
        if MergePatch.apply(patch, to: document) == document, ifMatch == nil || ifMatch == "*" || ifMatch == Self.etag(document) {
            return Self.json(Self.detail(shown, document), etag: Self.etag(document))
        }
        do {
            _ = try repo.updateInvoice(id: id, edits: [.patch(patch)], caller: Self.caller(party, request, body))
        } catch FolioError.alreadyDone {}
        return try Self.current(repo, id)
    }

    /// The invoice as the branch now holds it, read once after a write (or a retried one).
    static func current(_ repo: FolioRepository, _ id: String, status: HTTPResponse.Status = .ok) throws -> Response {
        let (invoice, written) = try repo.snapshot().invoice(id)
        return json(detail(invoice, written), status: status, etag: etag(written))
    }

    /// DELETE /invoices/{id}: a draft that was never sent (a sent invoice is voided or
    /// credited, never deleted: 409).
    func delete(_ request: Request, id: String) throws -> Response {
        let repo = try open()
        let party = try authenticate(request, repo)
        _ = try visibleInvoice(repo, id: id, party: party)
        do {
            _ = try repo.deleteInvoice(id: id, caller: Self.caller(party, request, Data()))
        } catch FolioError.alreadyDone {}
        return Self.json(.object(["code": .int(200), "data": .object(["id": .string(id)]), "meta": .object(["message": .string("Success")])]))
    }

    /// GET /invoices/extra-fields: fields.json as seed 004's extra field configs.
    func extraFields(_ request: Request) throws -> Response {
        let repo = try open()
        _ = try authenticate(request, repo)
        let offset = try Self.int(request, "offset", 0...Int(Int32.max), 0), limit = try Self.int(request, "limit", 0...1000, 10)
        let fields = try repo.snapshot().fields().fields
        return Self.json(Seed004.extraFieldPage(fields, offset: offset, limit: limit))
    }

    /// A whole-number query parameter within `range`, or `fallback` when absent.
    static func int(_ request: Request, _ name: String, _ range: ClosedRange<Int>, _ fallback: Int) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return fallback }
        guard let n = Int(text), range.contains(n) else { throw FolioError.usage("\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound)") }
        return n
    }

    /// A request body's members; nil for an empty body.
    static func object(_ body: Data) throws -> [String: JSONValue]? {
        if body.isEmpty { return nil }
        let value: JSONValue
        do { value = try JSONValue.parse(body, wholeFloats: true) } catch where error.rule == "json/number" {
            // Well-formed JSON with a number Folio cannot hold exactly (a fraction, or beyond
            // ±2^53): the request is understood, and refused by rule.
            throw FolioError.invalid(DocumentError(file: "request body", pointer: error.pointer, rule: error.rule, error.message))
        } catch { throw FolioError.usage("the request body is not JSON: \(error)") }
        guard case .object(let members) = value else { throw FolioError.usage("the request body must be a JSON object") }
        return members
    }

    /// Who writes, and the request's `Idempotency-Key` with a digest of what it asks (the
    /// command line's idempotency mechanism: a retry writes nothing).
    static func caller(_ party: String, _ request: Request, _ body: Data) -> Caller {
        let key = request.headers[idempotencyKey]
        var caller = Caller(identity: party, clock: Clock(), idempotencyKey: key,
                            idempotencyRequest: key.map { _ in digest("\(request.method) \(request.uri.path)", body) })
        caller.ifMatch = request.headers[.ifMatch]
        return caller
    }

}
