// lora: the REPL, the script runner and subcommands.
import ArgumentParser
import Foundation

/// Subcommands, dispatched on the first argument before the root command
/// parses (the root's script arguments would otherwise take them as a file
/// name). The notebook runner registers here: `"notebook": Notebook.self`,
/// where `Notebook` is a ParsableCommand with its own subcommands (run, check).
/// A script whose name equals a subcommand runs as `lora ./name`.
let subcommands: [String: ParsableCommand.Type] = ["notebook": NotebookCommand.self, "kernel": KernelCommand.self]

// Under mpirun: MPI first (see Ranks).
Ranks.start()
let arguments = Array(CommandLine.arguments.dropFirst())
if let first = arguments.first, let command = subcommands[first] {
    if Ranks.isParallel { exit(Ranks.refuse("lora \(first)")) }
    command.main(Array(arguments.dropFirst()))
} else {
    Lora.main()
}
