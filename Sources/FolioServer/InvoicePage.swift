import Foundation
import FolioModel
import FolioRepo
import HTTPTypes
import Hummingbird
import NIOCore

/// The buyer page and the PDF (SPEC §11): one rendering (`InvoiceHTML`), shown in a browser or
/// printed by headless Chromium.
extension FolioServer {
    /// GET /invoices/{id}/view. A link carrying `?token=` (what a seller sends a buyer) sets the
    /// token as an HttpOnly, SameSite=Strict cookie and redirects to the bare address, so the
    /// token leaves the address bar and the history; the page then authenticates by cookie.
    func page(_ request: Request, id: String) throws -> Response {
        if let token = request.uri.queryParameters.get("token") {
            guard tokens.email(of: token) != nil else { throw Unauthorized() }
            let path = "/invoices/\(id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id)/view"
            return Response(status: .seeOther, headers: [.location: path, .setCookie: "\(Self.cookie)=\(token); Path=/; HttpOnly; SameSite=Strict", .cacheControl: "no-store"])
        }
        let repo = try open()
        let party = try authenticate(request, repo)
        let (invoice, document) = try visibleInvoice(repo, id: id, party: party)
        let snap = try repo.snapshot()
        let isBuyer = try snap.parties()[party]?.role == .buyer
        let html = InvoiceHTML(invoice: invoice, company: try snap.config().company, etag: Self.etag(document),
                               canAnswer: isBuyer && invoice.status == .pendingApproval).render()
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store", HTTPField.Name("X-Content-Type-Options")!: "nosniff"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    /// GET /invoices/{id}/download-pdf: the page as a PDF, printed by headless Chromium.
    func pdf(_ request: Request, id: String) throws -> Response {
        let repo = try open()
        let party = try authenticate(request, repo)
        let (invoice, document) = try visibleInvoice(repo, id: id, party: party)
        let html = InvoiceHTML(invoice: invoice, company: try repo.snapshot().config().company, etag: Self.etag(document), canAnswer: false).render()
        let pdf = try PDFPrinter.print(html: html)
        let name = (invoice.number ?? invoice.id).filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        return Response(status: .ok, headers: [.contentType: "application/pdf", .contentDisposition: "attachment; filename=\"\(name).pdf\"", .eTag: Self.etag(document)],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: pdf)))
    }

    static let cookie = "folio_token"
}

/// Headless Chromium's print to PDF (`FOLIO_CHROMIUM`, else /usr/bin/chromium).
enum PDFPrinter {
    struct Unavailable: Error { let message: String }

    /// Chromium is a few hundred megabytes per process: at most two print at once, and other
    /// downloads wait their turn rather than exhaust the machine.
    static let printers = DispatchSemaphore(value: 2)

    static func print(html: String) throws -> Data {
        printers.wait()
        defer { printers.signal() }
        let chromium = ProcessInfo.processInfo.environment["FOLIO_CHROMIUM"] ?? "/usr/bin/chromium"
        guard FileManager.default.isExecutableFile(atPath: chromium) else {
            throw Unavailable(message: "printing a PDF needs headless Chromium at \(chromium) (Debian: apt-get install chromium; or set FOLIO_CHROMIUM)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("folio-pdf-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try Data(html.utf8).write(to: dir.appendingPathComponent("invoice.html"))
        } catch { throw FolioError.io("cannot write the page to print in \(dir.path): \(error.localizedDescription)") }
        let out = dir.appendingPathComponent("invoice.pdf")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        // No sandbox: servers and CI run as root, where Chromium's sandbox refuses to start.
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-pdf-header-footer",
                             "--user-data-dir=" + dir.appendingPathComponent("profile").path, "--print-to-pdf=" + out.path,
                             dir.appendingPathComponent("invoice.html").absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw Unavailable(message: "cannot start \(chromium): \(error.localizedDescription)") }
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate(); throw Unavailable(message: "Chromium took more than 60 s to print the invoice") }
        guard process.terminationStatus == 0, let pdf = FileManager.default.contents(atPath: out.path), pdf.starts(with: Data("%PDF".utf8)) else {
            throw Unavailable(message: "Chromium did not print the invoice (exit \(process.terminationStatus))")
        }
        return pdf
    }
}
