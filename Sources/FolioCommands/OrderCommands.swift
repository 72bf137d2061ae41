import ArgumentParser
import Foundation
import FolioModel
import FolioRepo

struct OrderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "order", abstract: "Orders: the source of invoices.",
                                                    subcommands: [OrderCreate.self, OrderShow.self, OrderCancelItem.self])
}

struct OrderCreate: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an order from a JSON file.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The order as JSON (- for standard input).") var file: String

    func run(_ console: Console) throws {
        let data = try readInput(file)
        let repo = try global.openRepository(console)
        let written = try repo.createOrder(data: data, file: file, caller: global.caller(console))
        if global.wantsJSON { console.data(CanonicalJSON.string(JSONValue.encoding(written.value))) } else {
            console.data(written.message)
        }
    }
}

/// Reads a file the user named, refusing what no document could be before reading it all.
func readInput(_ file: String) throws -> Data {
    if file == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: file, isDirectory: &isDir), !isDir.boolValue else {
        throw FolioError.usage("\(file): no such file")
    }
    if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int, size > JSONLimits.maxDocumentBytes {
        throw FolioError.invalid(DocumentError(file: file, rule: "json/size", "file is \(size) bytes; documents are limited to \(JSONLimits.maxDocumentBytes) bytes"))
    }
    guard let data = FileManager.default.contents(atPath: file) else { throw FolioError.io("\(file): cannot be read") }
    return data
}

struct OrderShow: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an order and which items are still open.")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String

    func run(_ console: Console) throws {
        let repo = try global.openRepository(console)
        let snap = try repo.snapshot()
        let (order, json) = try snap.order(id)
        // Another customer's order does not exist for a buyer (no hint that it does).
        guard try repo.visibility(explicit: global.actingAs, snapshot: snap).allows(customerID: order.customer.id) else {
            throw FolioError.notFound(kind: "order", id: id)
        }
        if global.wantsJSON { console.data(CanonicalJSON.string(json)); return }
        console.data(Display.order(order))
    }
}

struct OrderCancelItem: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "cancel-item", abstract: "Cancel an open item of an order.")
    @OptionGroup var global: GlobalOptions
    @Argument var id: String
    @Argument var ref: String

    func run(_ console: Console) throws {
        let written = try global.openRepository(console).cancelItem(orderID: id, ref: ref, caller: global.caller(console))
        console.reportChange(written, global)
    }
}
