import Crypto
import Foundation
import FolioApp
import FolioIndex
import FolioModel
public import FolioRepo
import HTTPTypes
import Logging
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
    /// The background sync with the remote, when the clone has one.
    public private(set) var sync: ServerSync?
    var syncEvery: Double?
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
        var methods: [String: [HTTPRequest.Method]] = [:]
        func on(_ path: String, _ method: HTTPRequest.Method, body: Bool = false, _ handle: @escaping @Sendable (Request, String, Data) throws -> Response) {
            methods[path, default: []].append(method)
            if body { withBody(router, method, RouterPath(path), handle); return }
            router.on(RouterPath(path), method: method) { request, context in
                let id = context.parameters.get("id") ?? ""
                let response = await self.answer(writing: method != .get) { try handle(request, id, Data()) }
                if method != .get { await self.wrote(response) }
                return response
            }
            if method == .get {   // HEAD: the GET's status and headers, without its body
                router.on(RouterPath(path), method: .head) { request, context in
                    let id = context.parameters.get("id") ?? ""
                    var response = await self.answer { try handle(request, id, Data()) }
                    response.body = ResponseBody()
                    return response
                }
            }
        }
        router.get("/openapi.json") { _, _ in Self.openAPI() }
        methods["/openapi.json"] = [.get]
        on("/invoices", .get) { request, _, _ in try self.list(request) }
        on("/invoices", .post, body: true) { request, _, body in try self.create(request, body: body) }
        on("/invoices/extra-fields", .get) { request, _, _ in try self.extraFields(request) }
        on("/invoices/:id", .get) { request, id, _ in try self.show(request, id: id) }
        on("/invoices/:id", .put, body: true) { request, id, body in try self.update(request, id: id, body: body) }
        on("/invoices/:id", .delete) { request, id, _ in try self.delete(request, id: id) }
        on("/invoices/:id/download-pdf", .get) { request, id, _ in try self.pdf(request, id: id) }
        on("/invoices/:id/view", .get) { request, id, _ in try self.page(request, id: id) }
        for (action, event) in [("accept", EventType.accepted), ("decline", .declined), ("request-changes", .changesRequested)] {
            on("/invoices/:id/\(action)", .post, body: true) { request, id, body in try self.respond(request, id: id, event: event, body: body) }
        }
        on("/orders/:id/invoices", .post, body: true) { request, id, body in try self.createFromOrder(request, orderID: id, body: body) }
        // Any other method on a known address: 405 with the methods it has (RFC 9110).
        for (path, allowed) in methods {
            let allow = allowed.map(\.rawValue).joined(separator: ", ")
            for method in [HTTPRequest.Method.get, .head, .post, .put, .delete, .patch, .trace, HTTPRequest.Method("QUERY")!] where !allowed.contains(method) && !(method == .head && allowed.contains(.get)) {
                router.on(RouterPath(path), method: method) { _, _ in
                    var response = Self.problem(405, "\(path.replacingOccurrences(of: ":id", with: "{id}")) answers \(allow)")
                    response.headers[.allow] = allow
                    return response
                }
            }
        }
        return router
    }

    /// A route whose body is read whole (at most `maximumBody` bytes, else 413) first; `id` is
    /// the path's `:id`, when it has one.
    private func withBody(_ router: Router<BasicRequestContext>, _ method: HTTPRequest.Method, _ path: RouterPath,
                          _ handle: @escaping @Sendable (Request, String, Data) throws -> Response) {
        router.on(path, method: method) { request, context in
            let id = context.parameters.get("id") ?? ""
            let body: Data
            do { body = Data(try await request.body.collect(upTo: self.maximumBody).readableBytesView) } catch {
                return Self.problem(413, "the request body is larger than \(self.maximumBody) bytes")
            }
            let response = await self.answer(writing: true) { try handle(request, id, body) }
            await self.wrote(response)
            return response
        }
    }

    /// After a write, the remote hears of it (in the background: the answer does not wait).
    func wrote(_ response: Response) async {
        if (200..<300).contains(response.status.code) { await sync?.request() }
    }

    /// Syncs with `remote` (origin when nil) after every write, and every `seconds` when
    /// given, making sync's merges as `identity`.
    public mutating func syncing(remote: String?, identity: String, every seconds: Double?) {
        let open = { @Sendable [self] in try self.open() }
        sync = ServerSync(remote: remote, identity: identity, open: open) { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        syncEvery = seconds
    }

    /// Runs until SIGINT or SIGTERM.
    public func run(host: String, port: Int) async throws {
        // Folio says itself where it listens; Hummingbird's own lines are for trouble only.
        var logger = Logger(label: "folio-serve")
        logger.logLevel = .warning
        let app = Application(router: router(), configuration: .init(address: .hostname(host, port: port), serverName: "folio"), logger: logger)
        if let sync, let seconds = syncEvery {
            let timer = Task { await sync.every(seconds) }
            defer { timer.cancel() }
            await sync.request()   // a first sync at start
            try await app.runService()
        } else {
            try await app.runService()
        }
    }

    // MARK: Parties and visibility

    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!

    /// The party a request is: its token's email, which must be a party of parties.json.
    func authenticate(_ request: Request, _ repo: FolioRepository) throws -> String {
        if let key = request.headers[Self.idempotencyKey], key.isEmpty || key.utf8.count > 200 || key.utf8.contains(where: { $0 < 0x21 || $0 > 0x7E }) {
            throw FolioError.usage("Idempotency-Key must be 1 to 200 visible ASCII characters")
        }
        // An Authorization header is a claim: a malformed or foreign one is refused, even beside
        // a good authToken.
        let bearer = try request.headers[.authorization].map { value in
            guard value.hasPrefix("Bearer "), tokens.email(of: String(value.dropFirst(7))) != nil else { throw Unauthorized() }
            return String(value.dropFirst(7))
        }
        let header = request.headers[HTTPField.Name("authToken")!] ?? bearer ?? pageCookie(request)
        guard let token = header, let email = tokens.email(of: token) else { throw Unauthorized() }
        guard let party = try repo.snapshot().parties()[email], party.role != .server else { throw Unauthorized() }
        return email
    }

    /// The buyer page's cookie. A browser sends cookies with requests other sites make, so a
    /// write counts the cookie only with the page's own header, which no other site can send
    /// without a CORS preflight that this server never grants.
    func pageCookie(_ request: Request) -> String? {
        guard request.method == .get || request.headers[HTTPField.Name("X-Folio-Page")!] == "1" else { return nil }
        for field in request.headers[values: .cookie] {
            for pair in field.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == Self.cookie { return String(parts[1]) }
            }
        }
        return nil
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
        FolioRepository.version(of: document)
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
    static func problem(_ status: Int, _ detail: String, findings: [Finding] = []) -> Response {
        let code = HTTPResponse.Status(code: status)
        let titles = [400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict", 412: "Precondition Failed",
                      413: "Content Too Large", 422: "Unprocessable Content", 500: "Internal Server Error", 503: "Service Unavailable"]
        var members: [String: JSONValue] = ["type": .string("about:blank"), "title": .string(titles[status] ?? code.reasonPhrase), "status": .int(Int64(status)), "detail": .string(detail)]
        if !findings.isEmpty {
            members["errors"] = .array(findings.map { .object(["pointer": .string($0.pointer), "rule": .string($0.rule), "detail": .string($0.message)]) })
        }
        let body = JSONValue.object(members)
        return Response(status: code, headers: [.contentType: "application/problem+json"], body: ResponseBody(byteBuffer: ByteBuffer(string: CanonicalJSON.string(body))))
    }

    /// Writes take the clone's write lock one at a time anyway; queued here first, they take it
    /// in the order they came (the lock itself is polled, and a newcomer could overtake a
    /// waiter again and again: at 100,000 invoices and 4 clients, the p99 of an accept went from
    /// 5.9 s to 1.5 s, four queued writes of 0.32 s each).
    static let writes = DispatchQueue(label: "folio.serve.writes")

    /// Runs a handler's blocking work (libgit2, SQLite) off the server's own threads, and maps
    /// what it throws to HTTP: the same errors the command line maps to exit codes.
    func answer(writing: Bool = false, _ work: @escaping @Sendable () throws -> Response) async -> Response {
        let result: Result<Response, any Error> = await withCheckedContinuation { done in
            (writing ? Self.writes : DispatchQueue.global()).async { done.resume(returning: Result { try work() }) }
        }
        switch result {
        case .success(let response): return response
        case .failure(let error as PDFPrinter.Unavailable): return Self.problem(503, error.message)
        case .failure(is Unauthorized): return Self.problem(401, "a token of a party of this repository is required (header authToken, or Authorization: Bearer); `folio serve token EMAIL` issues one")
        case .failure(let error):
            let failure = FolioError.wrap(error)
            let status = switch failure.kind {
            case .notFound: 404
            case .usage: 400
            case .invalid: 422
            case .refused, .identity, .dirtyWorkingTree: 409
            case .concurrentWrite, .busy: 503
            case .stale: 412
            case .alreadyDone: 200
            case .io, .git, .notARepository: 500
            }
            return Self.problem(status, failure.message, findings: failure.findings)
        }
    }
}
