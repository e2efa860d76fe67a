import Core
import ArgumentParser
import Foundation
import Lang
import Render
import Tensor

/// `lora` starts the REPL, `lora FILE.lora [args]` runs a script,
/// `lora -e 'code'` runs a snippet. Subcommands (e.g. `notebook`) are
/// dispatched in main.swift before this command parses.
struct Lora: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lora",
        abstract: "LoRA-Ensembles and calibrated uncertainty: a REPL and a script runner.",
        discussion: """
        Without a file, starts the REPL (plain line reading when stdin is not a terminal).
        Options go before the script name; everything after it is passed to the script as `args`.
        Notebooks: `lora notebook run FILE.md [-o DIR]` and `lora notebook check FILE.md` (see `lora notebook --help`).
        """,
        subcommands: [])

    @Option(name: [.customShort("e"), .customLong("eval")], help: "Run this code and exit.")
    var code: String?

    @Option(help: "Global seed for training, splits and sampling.")
    var seed: UInt64 = 0

    @Option(help: "Worker threads for the tensor engine (threads() reports them).")
    var threads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Flag(name: [.short, .long], help: "No progress bars, no banner.")
    var quiet = false

    @Argument(help: "A .lora script to run.")
    var file: String?

    @Argument(parsing: .captureForPassthrough, help: "Arguments for the script, visible to it as `args`.")
    var scriptArguments: [String] = []

    func validate() throws {
        guard threads >= 1 && threads <= 1024 else { throw ValidationError("--threads must be between 1 and 1024, got \(threads)") }
    }

    func run() throws {
        let interactiveTerminal = code == nil && file == nil && isatty(STDIN_FILENO) == 1
        Engine.threads = threads
        // With -e there is no script file: every argument after the code is the script's.
        let arguments = code != nil ? (file.map { [$0] } ?? []) + scriptArguments : scriptArguments
        let context = Context(output: Output.standard, isInteractive: interactiveTerminal, cancellation: Interrupt.flag,
                              seed: seed, threads: threads, quiet: quiet, terminalWidth: Output.terminalWidth(),
                              scriptArguments: arguments)
        if !quiet {
            context.progress = ProgressPrinter(inPlace: isatty(STDERR_FILENO) == 1, columns: { Output.terminalWidth(STDERR_FILENO) },
                                               write: Output.error)
        }
        let session = Session(context: context)
        if let code = code {
            Interrupt.install(interactive: false)
            throw exit(runScript { try session.runSource(code, name: "-e") })
        }
        if let file = file {
            Interrupt.install(interactive: false)
            throw exit(runScript { try session.runFile(path: file) })
        }
        if Ranks.isParallel { throw exit(Ranks.refuse("the REPL")) }
        if interactiveTerminal {
            let repl = InteractiveREPL(session: session, quiet: quiet)
            throw exit(repl.run())
        }
        Interrupt.install(interactive: false)
        throw exit(PipedREPL(session: session).run())
    }

    private func exit(_ status: Int32) -> ExitCode { ExitCode(status) }

    private func runScript(_ body: () throws -> Void) -> Int32 {
        do {
            try body()
            return Ranks.isParallel ? Ranks.finished() : 0
        } catch {
            // Under MPI: another rank's failure stopped this one (rank 0 shows
            // that rank's error), or this rank's own error is shared with the others.
            if Ranks.stoppedByOtherRank() { return 1 }
            Output.report(error)
            if Ranks.isParallel { Ranks.share(Output.format(error)) }
            // Ctrl-C stops a script as it stops any command: status 130 (128 + SIGINT).
            if let e = error as? LangError, e.kind == .interrupted { return Interrupt.exitStatus }
            return 1
        }
    }
}
