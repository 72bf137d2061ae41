import ArgumentParser
struct DemoCommand: ParsableCommand { static let configuration = CommandConfiguration(commandName: "demo", abstract: "The end-to-end story on the sample data."); func run() throws {} }
