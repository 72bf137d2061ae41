import Crypto
public import Foundation
import FolioApp
import FolioIndex
import FolioModel
public import FolioRepo
import HTTPTypes
public import Hummingbird
import NIOCore

/// `folio serve` (SPEC §11): seed 004's invoice endpoints and seed 000's approval actions over
/// HTTP, answered from the repository at `path` through the same use cases as the command
/// line. Every request is a party, named by a token (`ServerTokens`): seed 004's `authToken`
/// header, or `Authorization: Bearer`. A buyer sees and answers only its customer's invoices;
/// anything else is 404, as if it did not exist.
///
/// Each request opens the repository itself: libgit2 handles are not shared between threads,
/// and a write takes the clone's write lock like any command, so the server and people at the
/// command line never lose each other's writes.
public struct FolioServer: Sendable {
    public let path: String
    /// The largest request body read (a JSON answer is a few hundred bytes).
    public var maximumBody = 64 * 1024
    /// parties.json parsed once per version, for every request.
    let cache = DocumentCache()
    /// Read once: the secret does not change while the server runs.
    let tokens: ServerTokens
    /// This clone's signing key, read once. It signs every write when parties.json lists it
    /// as a server party (checked per request, so adding the server party needs no restart).
    public let key: ServerKey?

    public init(path: String) throws {
        self.path = path
        let repo = try FolioRepository.open(path)
        tokens = try ServerTokens(repo: repo)
        key = try ServerKey.find(repo: repo)
    }

    /// The server party this server signs as at HEAD, if any.
    public func serverParty() throws -> String? {
        guard let key else { return nil }
        return key.party(in: try open().snapshot().parties())
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/invoices") { request, _ in await self.answer { try self.list(request) } }
        router.get("/invoices/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            return await self.answer { try self.show(request, id: id) }
        }
        for (action, event) in [("accept", EventType.accepted), ("decline", .declined), ("request-changes", .changesRequested)] {
            post(router, "/invoices/:id/\(action)") { request, id, body in try self.respond(request, id: id, event: event, body: body) }
        }
        post(router, "/orders/:id/invoices") { request, id, body in try self.createFromOrder(request, orderID: id, body: body) }
        return router
    }

    /// A POST route on `:id` whose body is read whole (at most `maximumBody` bytes) first.
    private func post(_ router: Router<BasicRequestContext>, _ path: RouterPath,
                      _ handle: @escaping @Sendable (Request, String, Data) throws -> Response) {
        router.post(path) { request, context in
            let id = context.parameters.get("id") ?? ""
            let body: Data
            do { body = Data(try await request.body.collect(upTo: self.maximumBody).readableBytesView) } catch {
                return Self.problem(413, "the request body is larger than \(self.maximumBody) bytes")
            }
            return await self.answer { try handle(request, id, body) }
        }
    }

    /// Runs until SIGINT or SIGTERM.
    public func run(host: String, port: Int) async throws {
        let app = Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "folio"))
        try await app.runService()
    }

    // MARK: Endpoints

    func list(_ request: Request) throws -> Response {
        let repo = try open()
        let party = try authenticate(request, repo)
        let q = request.uri.queryParameters
        var query = InvoiceQuery()
        func int(_ name: String, _ range: ClosedRange<Int>, _ fallback: Int) throws -> Int {
            guard let text = q.get(name) else { return fallback }
            guard let n = Int(text), range.contains(n) else { throw FolioError.usage("\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound)") }
            return n
        }
        query.offset = try int("offset", 0...Int(Int32.max), 0)
        query.limit = try int("limit", 0...1000, 50)
        if let sortBy = q.get("sortBy") {
            guard let key = InvoiceQuery.parse(sortBy, as: InvoiceQuery.SortKey.self) else {
                throw FolioError.usage("sortBy \"\(sortBy)\" is not one of \(InvoiceQuery.SortKey.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.sortBy = key
        }
        switch q.get("orderBy")?.uppercased() {
        case nil, "ASC": query.descending = false
        case "DESC": query.descending = true
        default: throw FolioError.usage("orderBy must be ASC or DESC")
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
        let reads = IndexReads(repo: repo)
        let (page, total) = try reads.reading { index in
            var query = query
            if let customer = try reads.visibleCustomer(index, actingAs: party) { query.visibleCustomer = customer }
            return try index.invoices(query)
        }
        return Self.json(Seed004.page(page, total: total, offset: query.offset, limit: query.limit))
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
        let (_, document) = try visibleInvoice(repo, id: id, party: party)
        if let expected = request.headers[.ifMatch], expected != "*", expected != Self.etag(document) {
            return Self.problem(412, "invoice \(id) changed since \(expected) (now \(Self.etag(document))); read it again")
        }
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
        let invoice: Invoice
        do {
            invoice = try repo.respond(id: id, with: event, text: text, caller: Self.caller(party, request, body)).value
        } catch FolioError.alreadyDone(_, _, _, let done) {
            // A retried request: nothing new was written, and the answer is what it was.
            invoice = try done ?? repo.snapshot().invoice(id).0
        }
        let (_, written) = try repo.snapshot().invoice(invoice.id)
        return Self.json(Self.detail(invoice, written), etag: Self.etag(written))
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
        let invoice: Invoice
        do {
            invoice = try repo.createInvoice(orderID: orderID, refs: refs, dueDate: dueDate, email: false, caller: Self.caller(party, request, body)).value
        } catch FolioError.alreadyDone(_, _, _, let done) {
            guard let done else { throw FolioError.usage("this Idempotency-Key was used for an invoice that cannot be found") }
            invoice = done
        }
        let (_, written) = try repo.snapshot().invoice(invoice.id)
        return Self.json(Self.detail(invoice, written), status: .created, etag: Self.etag(written))
    }

    /// A request body's members; nil for an empty body.
    static func object(_ body: Data) throws -> [String: JSONValue]? {
        if body.isEmpty { return nil }
        let value: JSONValue
        do { value = try JSONValue.parse(body) } catch { throw FolioError.usage("the request body is not JSON: \(error)") }
        guard case .object(let members) = value else { throw FolioError.usage("the request body must be a JSON object") }
        return members
    }

    /// Who writes, and the request's `Idempotency-Key` with a digest of what it asks (the
    /// command line's idempotency mechanism: a retry writes nothing).
    static func caller(_ party: String, _ request: Request, _ body: Data) -> Caller {
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        return Caller(identity: party, clock: Clock(), idempotencyKey: key,
                      idempotencyRequest: key.map { _ in digest("\(request.method) \(request.uri.path)", body) })
    }

    // MARK: Parties and visibility

    /// The party a request is: its token's email, which must be a party of parties.json.
    func authenticate(_ request: Request, _ repo: FolioRepository) throws -> String {
        let header = request.headers[HTTPField.Name("authToken")!]
            ?? request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        guard let token = header, let email = tokens.email(of: token) else { throw Unauthorized() }
        guard let party = try repo.snapshot().parties()[email], party.role != .server else { throw Unauthorized() }
        return email
    }

    /// The invoice, when this party may see it; else not found, never "forbidden": a buyer
    /// learns nothing of another customer's invoices, not even that they exist.
    func visibleInvoice(_ repo: FolioRepository, id: String, party: String) throws -> (Invoice, JSONValue) {
        let found: (Invoice, JSONValue)
        do { found = try repo.snapshot().invoice(id) } catch FolioError.usage { throw FolioError.notFound(kind: "invoice", id: id) }
        let visibility = try repo.visibility(explicit: party, snapshot: repo.snapshot())
        guard visibility.allows(customerID: found.0.customer.id) else { throw FolioError.notFound(kind: "invoice", id: id) }
        return found
    }

    // MARK: Responses

    struct Unauthorized: Error {}

    static func detail(_ invoice: Invoice, _ document: JSONValue) -> JSONValue {
        guard case .object(var row) = Seed004.invoice(InvoiceSummary(invoice)) else { return .null }
        row["document"] = document   // Folio's own document, every field, for clients that need more
        return Seed004.one(.object(row))
    }

    /// The document's version: a digest of its canonical bytes (strong: equal bytes, equal tag).
    static func etag(_ document: JSONValue) -> String {
        "\"" + SHA256.hash(data: Data(CanonicalJSON.string(document).utf8)).prefix(12).map { String(format: "%02x", $0) }.joined() + "\""
    }

    static func digest(_ line: String, _ body: Data) -> String {
        SHA256.hash(data: Data(line.utf8) + body).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, etag: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let etag { headers[.eTag] = etag }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: CanonicalJSON.string(value))))
    }

    /// RFC 9457 problem details.
    static func problem(_ status: Int, _ detail: String) -> Response {
        let code = HTTPResponse.Status(code: status)
        let body = JSONValue.object(["type": .string("about:blank"), "title": .string(code.reasonPhrase), "status": .int(Int64(status)), "detail": .string(detail)])
        return Response(status: code, headers: [.contentType: "application/problem+json"], body: ResponseBody(byteBuffer: ByteBuffer(string: CanonicalJSON.string(body))))
    }

    /// Runs a handler's blocking work (libgit2, SQLite) off the server's own threads, and maps
    /// what it throws to HTTP: the same errors the command line maps to exit codes.
    func answer(_ work: @escaping @Sendable () throws -> Response) async -> Response {
        let result: Result<Response, any Error> = await withCheckedContinuation { done in
            DispatchQueue.global().async { done.resume(returning: Result { try work() }) }
        }
        switch result {
        case .success(let response): return response
        case .failure(is Unauthorized): return Self.problem(401, "a token of a party of this repository is required (header authToken, or Authorization: Bearer); `folio serve token EMAIL` issues one")
        case .failure(let error):
            let failure = FolioError.wrap(error)
            let status = switch failure {
            case .notFound: 404
            case .usage: 400
            case .invalid: 422
            case .refused, .identity, .dirtyWorkingTree: 409
            case .concurrentWrite, .busy: 503
            case .alreadyDone: 200
            case .io, .git, .notARepository: 500
            }
            return Self.problem(status, failure.message)
        }
    }
}
