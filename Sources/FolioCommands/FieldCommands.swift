public import ArgumentParser
import Foundation
import FolioModel
import FolioRepo

/// `folio field add/remove/list`: seed 004's extra-field configs.
struct FieldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "field", abstract: "Define the invoices' extra fields (seed 004).",
                                                    subcommands: [FieldAdd.self, FieldRemove.self, FieldList.self])
}

struct FieldAdd: FolioCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Define an extra field.",
        discussion: "A required field is required of invoices first sent from now on; invoices sent before keep validating.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The field's name.") var name: String
    @Option(help: "text, number, date or list.") var type: ExtraFieldType
    @Flag(help: "Every invoice sent from now on must carry it.") var required = false
    @Flag(help: "No two invoices may carry the same value.") var unique = false
    @Option(help: "The longest value allowed.") var maxLength: Int?
    @Option(help: "For a list field: its values, comma-separated.") var values: String?
    func run(_ console: Console) throws {
        let definition = FieldDefinition(fieldName: name, fieldType: type, isRequired: required, isUnique: unique,
                                         maximumLength: maxLength, listOfValue: splitList(values))
        if type != .list && values != nil { throw FolioError.usage("--values is for list fields") }
        let written = try global.openRepository(console).addField(definition, caller: global.caller(console))
        console.reportChange(written, global)
    }
}

extension ExtraFieldType: ExpressibleByArgument {}

struct FieldRemove: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove an extra field that no invoice carries.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The field's name.") var name: String
    func run(_ console: Console) throws {
        let written = try global.openRepository(console).removeField(name: name, caller: global.caller(console))
        console.reportChange(written, global)
    }
}

struct FieldList: FolioCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the extra-field definitions.")
    @OptionGroup var global: GlobalOptions
    func run(_ console: Console) throws {
        let defs = try global.openRepository(console).snapshot().fields()
        if global.wantsJSON { console.data(CanonicalJSON.string(.object(["data": JSONValue.encoding(defs.fields)]))); return }
        if defs.fields.isEmpty { console.data("No extra fields are defined."); return }
        for d in defs.fields {
            var traits = [d.fieldType.rawValue]
            if d.isRequired { traits.append("required") }
            if d.isUnique { traits.append("unique") }
            if let max = d.maximumLength { traits.append("max \(max)") }
            if let values = d.listOfValue { traits.append("values \(values.joined(separator: ","))") }
            console.data("\(d.fieldName)\t\(traits.joined(separator: ", "))")
        }
    }
}
